"""Real-world LiteLLM configs (tests/config/real_world/, README there says where each came from):
each starts — checked, its router and its app built — or stops with one line naming the file and the
path inside it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from llmrelay.config import ConfigError, load_config
from llmrelay.proxy.server import build_app, check_router_settings

HERE = Path(__file__).parent / "real_world"

# file → None (starts), or (path inside the file, the start of the problem)
OUTCOMES: dict[str, tuple[str, str] | None] = {
    "litellm_simple_config.yaml": None,
    "litellm_aliases_config.yaml": None,
    "litellm_azure_config.yaml": None,
    "litellm_azure_config_with_tpm.yaml": None,
    "litellm_load_balancer.yaml": (
        "model_list[3].litellm_params.model",
        "unknown provider 'mistralai' (did you mean `mistral/",
    ),
    "litellm_multi_instance_simple_config.yaml": (
        "litellm_settings",
        "cache_params: type 'redis' needs host",
    ),
    "litellm_otel_test_config.yaml": ("guardrails", "not supported by llmrelay: no guardrails"),
    "litellm_pass_through_config.yaml": ("general_settings.custom_auth", "not supported by llmrelay"),
    "litellm_spend_tracking_config.yaml": ("litellm_settings", "cache_params: type 'redis' needs host"),
    # store_model_in_db is implemented (tests/models/); this file sets no database nor master key
    "litellm_store_model_db_config.yaml": ("general_settings.store_model_in_db", "needs a database"),
    "litellm_enterprise_config.yaml": None,
    "litellm_prometheus_test_config.yaml": None,
    "litellm_hosted_litellm.yaml": ("line 9, column 1", "not valid YAML"),
    "litellm_reject_clientside_metadata_tags_config.yaml": (
        "general_settings.reject_clientside_metadata_tags",
        "not supported by llmrelay",
    ),
    "litellm_health_check_test_config.yaml": None,
    "litellm_disable_schema_update.yaml": None,
    # public_key_url, audience and issuer are no fields of LiteLLM's litellm_jwtauth either (LiteLLM
    # refuses them too): they are the environment's JWT_PUBLIC_KEY_URL, JWT_AUDIENCE, JWT_ISSUER
    "litellm_okta_jwt_auth_config.yaml": (
        "general_settings.litellm_jwtauth",
        "Object contains unknown field `public_key_url`",
    ),
    "litellm_oai_misc_config.yaml": ("files_settings", "not supported by llmrelay"),
    "written_reliability_bedrock_vertex.yaml": None,
    "written_custom_prices.yaml": None,
    "written_caching_callbacks_defaults.yaml": None,
    # SageMaker is served: what stops this file now is its proxy-wide budget
    "written_sagemaker_and_budget.yaml": ("litellm_settings.max_budget", "not supported by llmrelay"),
    "written_disable_cooldowns_cost_routing.yaml": None,
}


def test_every_collected_config_has_an_outcome() -> None:
    assert sorted(p.name for p in HERE.glob("*.yaml")) == sorted(OUTCOMES)
    assert len(OUTCOMES) >= 20


def environment_for(path: Path) -> dict[str, str]:
    """A value for every os.environ/ reference of the file (endpoints on a closed local port)."""
    names = re.findall(r"os\.environ/([A-Z0-9_]+)", path.read_text())
    env = {name: "sk-test" for name in names}
    env.update({name: "http://127.0.0.1:9" for name in names if "API_BASE" in name})
    env.update({name: "127.0.0.1" for name in names if name.endswith("_HOST")})
    return env


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_a_real_world_config_starts_or_names_what_stops_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = HERE / name
    environ = environment_for(path)
    # the process environment as the gateway would see it, restored after the test
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | environ)
    expected = OUTCOMES[name]
    try:
        config = load_config(path, environ=environ)
        check_router_settings(config)
        build_app(config)
    except ConfigError as exc:
        message = str(exc)
        assert expected is not None, f"expected {name} to start, got: {message}"
        where, problem = expected
        assert message.startswith(f"{path}: {where}: {problem}"), message
        assert "\n" not in message
        return
    assert expected is None, f"expected {name} to stop at {expected[0]}, but it started"
