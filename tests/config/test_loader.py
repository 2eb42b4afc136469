"""config.yaml loading: LiteLLM files load unchanged, broken ones fail precisely, unknown keys warn."""

from __future__ import annotations

import pytest

from llmrelay.config import ConfigError, load_config, parse_config

LITELLM_STYLE = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 600
      tpm: 100000
      timeout: 30
      max_retries: 2
      weight: 2
      order: 1
    model_info:
      id: openai-main
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: os.environ/AZURE_API_BASE
      api_key: os.environ/AZURE_API_KEY
      api_version: "2024-10-21"
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_key: os.environ/ANTHROPIC_API_KEY
litellm_settings:
  drop_params: true
  num_retries: 3
  request_timeout: 60
  success_callback: ["langfuse", "datadog"]
router_settings:
  routing_strategy: usage-based-routing
  fallbacks: [{"gpt-4o": ["claude"]}]
  redis_host: localhost
  redis_port: 6379
general_settings:
  master_key: os.environ/LLMRELAY_MASTER_KEY
  database_url: os.environ/DATABASE_URL
environment_variables:
  AZURE_API_BASE: https://example.openai.azure.com
"""

ENV = {
    "OPENAI_API_KEY": "sk-openai",
    "AZURE_API_KEY": "az-key",
    "ANTHROPIC_API_KEY": "sk-ant",
    "LLMRELAY_MASTER_KEY": "sk-master",
    "DATABASE_URL": "postgresql://u:secret@db/llm",
}


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_litellm_file_loads_with_env_references(tmp_path):
    config = load_config(write(tmp_path, LITELLM_STYLE), environ=ENV)
    # the one thing llmrelay does not provide is named, not silently dropped
    (warning,) = config.warnings
    assert "litellm_settings: callback 'datadog' is not provided by llmrelay" in warning
    assert config.model_list[0]["litellm_params"]["api_key"] == "sk-openai"
    # environment_variables feed os.environ/ references too
    assert config.model_list[1]["litellm_params"]["api_base"] == "https://example.openai.azure.com"
    assert config.general.master_key == "sk-master"
    kwargs = config.router_kwargs()
    assert kwargs["routing_strategy"] == "usage-based-routing"
    assert kwargs["num_retries"] == 3 and kwargs["drop_params"] is True and kwargs["timeout"] == 60
    assert kwargs["fallbacks"] == [{"gpt-4o": ["claude"]}]
    assert kwargs["redis_url"] == "redis://localhost:6379"
    assert "sk-master" not in repr(config.general) and "secret" not in repr(config.general)


def test_missing_env_variable_names_path_and_variable(tmp_path):
    env = {k: v for k, v in ENV.items() if k != "ANTHROPIC_API_KEY"}
    path = write(tmp_path, LITELLM_STYLE)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ=env)
    assert str(err.value) == (
        f"{path}: model_list[2].litellm_params.api_key: environment variable ANTHROPIC_API_KEY is not set "
        "(referenced as os.environ/ANTHROPIC_API_KEY)"
    )


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ("model_list:\n  - model_name: a\n", "model_list[0]", "missing required field `litellm_params`"),
        ("model_list:\n  - model_name: a\n    litellm_params: {rpm: 5}\n", "model_list[0].litellm_params",
         "missing required field `model`"),
        ("model_list: {a: 1}\n", "model_list", "expected a list of models, got a mapping"),
        ("router_settings:\n  num_retries: many\n", "router_settings.num_retries", "expected `int | null`"),
        ("general_settings: [1]\n", "general_settings", "expected a mapping, got a list"),
        ("- just\n- a list\n", "", "expected a mapping of sections at the top, got a list"),
    ],
)  # fmt: skip
def test_broken_files_fail_precisely(tmp_path, text, where, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert err.value.path == where
    assert expected in err.value.problem
    assert str(err.value).startswith(str(path))


def test_yaml_syntax_error_gives_line(tmp_path):
    path = write(tmp_path, "model_list:\n  - model_name: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "line 3" in err.value.path or "line 2" in err.value.path
    assert "not valid YAML" in err.value.problem


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "absent.yaml")
    assert "cannot read the file" in str(err.value)


def test_unknown_keys_are_warnings_not_errors():
    config = parse_config(
        {
            "model_list": [{"model_name": "a", "litellm_params": {"model": "openai/x", "vendor_flag": 1},
                            "extra": 2}],
            "router_settings": {"routing_strategy": "simple-shuffle", "shiny": True},
            "guardrails": [],
            "mystery": {},
        },
        source="c.yaml",
        environ={},
    )  # fmt: skip
    text = "\n".join(config.warnings)
    assert "c.yaml: model_list[0].extra: unknown key" in text
    assert "c.yaml: model_list[0].litellm_params.vendor_flag: unknown parameter" in text
    assert "c.yaml: router_settings.shiny: unknown key" in text
    assert (
        "guardrails" not in text
    )  # an empty section asks for nothing (tests/config/test_unsupported_keys.py)
    assert "c.yaml: mystery: unknown section" in text
    assert len(config.warnings) == 4


def test_known_keys_llmrelay_does_not_act_on_are_warned_about_not_dropped_silently():
    config = parse_config(
        {
            "model_list": [],
            "litellm_settings": {"cache_params": {"type": "redis"}, "telemetry": False,
                                 "json_logs": True, "set_verbose": False},
            "general_settings": {"alerting": ["slack"]},
        },
        source="c.yaml",
        environ={},
    )  # fmt: skip
    assert sorted(config.warnings) == [
        "c.yaml: general_settings.alerting: ignored by llmrelay: no alerting channels "
        "(Slack, email...): use /metrics and the call log",
        "c.yaml: litellm_settings.cache_params: no effect without cache: true",
    ]
    assert config.cache is None
    # switched off, they say nothing: there is nothing to switch off
    quiet = parse_config({"litellm_settings": {"cache": False}}, source="c.yaml", environ={})
    assert quiet.warnings == []


def test_the_response_cache_is_checked_when_the_config_loads():
    def cache_of(params: dict[str, object], environ: dict[str, str]) -> object:
        document = {"litellm_settings": {"cache": True, "cache_params": params}}
        return parse_config(document, source="c.yaml", environ=environ).cache

    settings = cache_of({"type": "redis"}, {"REDIS_HOST": "cache.internal"})
    assert settings is not None and settings.redis_url == "redis://cache.internal:6379/0"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError) as error:
        cache_of({"type": "redis"}, {})
    assert str(error.value).startswith("c.yaml: litellm_settings: cache_params: type 'redis' needs host")
    with pytest.raises(ConfigError, match="'s3' is not supported"):
        cache_of({"type": "s3"}, {})


def test_empty_file_is_an_empty_config(tmp_path):
    config = load_config(write(tmp_path, ""), environ={})
    assert config.model_list == [] and config.general.master_key is None


def test_router_settings_reach_the_router():
    config = parse_config(
        {
            "model_list": [],
            "router_settings": {
                "stream_timeout": 12,
                "stream_chunk_timeout": 3,
                "retry_policy": {"RateLimitErrorRetries": 4},
                "routing_strategy_args": {"lowest_latency_buffer": 0.2},
                "cooldown_window": 30,
                "redis_key_prefix": "gw1:",
            },
            "general_settings": {"background_health_checks": True},
        },
        source="test",
    )
    kwargs = config.router_kwargs()
    assert kwargs["stream_timeout"] == 12
    assert kwargs["stream_chunk_timeout"] == 3
    assert kwargs["retry_policy"] == {"RateLimitErrorRetries": 4}
    assert kwargs["routing_strategy_args"] == {"lowest_latency_buffer": 0.2}
    assert kwargs["cooldown_window"] == 30
    assert kwargs["redis_key_prefix"] == "gw1:"
    # background checks on without an interval: LiteLLM's default of 300 s
    assert kwargs["health_check_interval"] == 300.0
    assert config.warnings == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"proxy_batch_write_at": 0},
         "c.yaml: general_settings.proxy_batch_write_at: expected `float` > 0.0"),
        ({"proxy_batch_write_at": -5},
         "c.yaml: general_settings.proxy_batch_write_at: expected `float` > 0.0"),
        ({"database_connection_pool_limit": 0},
         "c.yaml: general_settings.database_connection_pool_limit: expected `int` >= 1"),
    ],
)  # fmt: skip
def test_spend_and_pool_settings_are_checked_when_the_file_loads(settings, expected):
    # refused in the parent process, before any worker would try to use them
    with pytest.raises(ConfigError) as err:
        parse_config({"general_settings": settings}, source="c.yaml", environ={})
    assert str(err.value) == expected
