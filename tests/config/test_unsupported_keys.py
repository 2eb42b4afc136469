"""LiteLLM keys llmrelay does not implement: refused at startup when they would change security,
money or routing (with an escape hatch), warned about once when harmless; one table in code, and
docs/config.md shows exactly that table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.config.key_table import BEGIN, END, markdown
from llmrelay.config.litellm_keys import TABLES, Status
from llmrelay.config.schema import GeneralSettings, LitellmParams, LitellmSettings, RouterSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "config.md"
MODEL = {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "k"}}


def load(extra: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    return parse_config({"model_list": [MODEL], **extra}, source="c.yaml", environ=environ or {})


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"general_settings": {"supported_db_objects": ["keys"]}}, "general_settings.supported_db_objects"),
        ({"general_settings": {"custom_auth": "auth.handler"}}, "general_settings.custom_auth"),
        ({"general_settings": {"enable_oauth2_auth": True}}, "general_settings.enable_oauth2_auth"),
        # allowed_ips and admin_only_routes are implemented now (tests/security/test_network_policy.py)
        ({"general_settings": {"public_routes": ["/key/generate"]}}, "general_settings.public_routes"),
        ({"general_settings": {"use_azure_key_vault": True}}, "general_settings.use_azure_key_vault"),
        (
            {"general_settings": {"use_client_credentials_pass_through_routes": True}},
            "general_settings.use_client_credentials_pass_through_routes",
        ),
        ({"general_settings": {"max_budget": 100}}, "general_settings.max_budget"),
        ({"litellm_settings": {"max_budget": 100}}, "litellm_settings.max_budget"),
        (
            {"litellm_settings": {"default_team_settings": [{"team_id": "t"}]}},
            "litellm_settings.default_team_settings",
        ),
        ({"guardrails": [{"guardrail_name": "pii"}]}, "guardrails"),
        ({"files_settings": [{"custom_llm_provider": "openai"}]}, "files_settings"),
        (
            {"router_settings": {"allowed_fails_policy": {"RateLimitErrorAllowedFails": 5}}},
            "router_settings.allowed_fails_policy",
        ),
    ],
)
def test_keys_that_change_security_money_or_routing_stop_the_start(
    document: dict[str, Any], path: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load(document)
    message = str(refused.value)
    assert message.startswith(f"c.yaml: {path}: not supported by llmrelay: ")
    assert "llmrelay_accept_unsupported" in message and "LLMRELAY_ACCEPT_UNSUPPORTED" in message


def test_refused_keys_in_a_deployment_name_its_path() -> None:
    entry = {**MODEL, "litellm_params": {**MODEL["litellm_params"], "max_budget": 10}}
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [MODEL, entry]}, source="c.yaml", environ={})
    assert str(refused.value).startswith("c.yaml: model_list[1].litellm_params.max_budget: not supported")
    team = {**MODEL, "model_info": {"team_id": "t1"}}
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [team]}, source="c.yaml", environ={})
    assert str(refused.value).startswith("c.yaml: model_list[0].model_info.team_id: not supported")


def test_a_refused_key_at_its_off_value_asks_for_nothing() -> None:
    config = load({"general_settings": {"supported_db_objects": [], "public_routes": []}, "guardrails": []})
    assert config.warnings == []


def test_the_escape_hatch_in_the_config_turns_refusals_into_warnings() -> None:
    config = load(
        {
            "general_settings": {
                "supported_db_objects": ["keys"],
                "llmrelay_accept_unsupported": ["general_settings.supported_db_objects", "guardrails"],
            },
            "guardrails": [{"guardrail_name": "pii"}],
        }
    )
    assert sorted(config.warnings) == [
        "c.yaml: general_settings.supported_db_objects: NOT SUPPORTED, started anyway "
        "(llmrelay_accept_unsupported): only models and credentials are kept in the database "
        "(store_model_in_db), never other objects",
        "c.yaml: guardrails: NOT SUPPORTED, started anyway (llmrelay_accept_unsupported): "
        "no guardrails: requests and answers would pass unchecked",
    ]


def test_the_escape_hatch_in_the_environment() -> None:
    accepted = "general_settings.enable_oauth2_auth, litellm_params.max_budget"
    environ = {"LLMRELAY_ACCEPT_UNSUPPORTED": accepted}
    entry = {**MODEL, "litellm_params": {**MODEL["litellm_params"], "max_budget": 10}}
    config = parse_config(
        {"model_list": [entry], "general_settings": {"enable_oauth2_auth": True}},
        source="c.yaml",
        environ=environ,
    )
    assert len([w for w in config.warnings if "NOT SUPPORTED" in w]) == 2


def test_a_typo_in_the_escape_hatch_is_an_error() -> None:
    with pytest.raises(ConfigError) as refused:
        load({"general_settings": {"llmrelay_accept_unsupported": ["general_settings.supported_db_object"]}})
    assert str(refused.value) == (
        "c.yaml: general_settings.llmrelay_accept_unsupported: 'general_settings.supported_db_object' "
        "is no key llmrelay refuses (did you mean `general_settings.supported_db_objects`?)"
    )


def test_harmless_keys_warn_once() -> None:
    config = load(
        {
            "general_settings": {"store_prompts_in_spend_logs": True, "alerting": ["slack"]},
            "litellm_settings": {"langfuse_default_tags": ["cache_hit"]},
        }
    )
    assert sorted(config.warnings) == [
        "c.yaml: general_settings.alerting: ignored by llmrelay: no alerting channels (Slack, email...): "
        "use /metrics and the call log",
        "c.yaml: general_settings.store_prompts_in_spend_logs: ignored by llmrelay: spend rows never hold "
        "prompts or answers (use a json_log sink with log_messages for them)",
        "c.yaml: litellm_settings.langfuse_default_tags: ignored by llmrelay: logging detail "
        "llmrelay does not have; calls are logged by its own sinks",
    ]


def test_num_retries_in_litellm_params_is_the_deployments_retries() -> None:
    from llmrelay.router import Router

    entry = {**MODEL, "litellm_params": {**MODEL["litellm_params"], "num_retries": 4}}
    config = parse_config({"model_list": [entry]}, source="c.yaml", environ={})
    assert config.warnings == []
    assert Router(**config.router_kwargs()).router_deployments()[0].target.max_retries == 4


def test_the_table_never_classifies_an_implemented_key() -> None:
    implemented = {
        "router_settings": RouterSettings, "litellm_settings": LitellmSettings,
        "general_settings": GeneralSettings, "litellm_params": LitellmParams,
    }  # fmt: skip
    for table, cls in implemented.items():
        assert not set(TABLES[table]) & set(cls.__struct_fields__), table
    assert all(rule.why for rules in TABLES.values() for rule in rules.values())
    assert {r.status for rules in TABLES.values() for r in rules.values()} == set(Status)


def test_docs_show_exactly_the_table_in_code() -> None:
    text = DOCS.read_text()
    shown = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert shown == markdown(), "regenerate with: python -m llmrelay.config.key_table"


def test_router_settings_written_in_litellm_settings_apply() -> None:
    config = load({"litellm_settings": {"allowed_fails": 1, "cooldown_time": 5}})
    assert config.warnings == []
    kwargs = config.router_kwargs()
    assert kwargs["allowed_fails"] == 1 and kwargs["cooldown_time"] == 5
    both = load({"litellm_settings": {"allowed_fails": 1}, "router_settings": {"allowed_fails": 7}})
    assert both.router_kwargs()["allowed_fails"] == 7  # router_settings wins, as in LiteLLM
