"""Config errors are one line naming the file, the path inside it, what was expected and (when one is
close) the name that was probably meant — never a traceback; warnings are printed once."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmrelay.cli import main
from llmrelay.config import ConfigError, parse_config
from llmrelay.proxy.server import ServeOptions, build_app, serve

OK_MODEL = {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "k"}}


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any]) -> tuple[int, str]:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(document))
    code = main(["serve", "--config", str(path), "--host", "127.0.0.1", "--port", "1"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "serving" not in err
    return code, err.replace(str(path), "c.yaml")


def model(name: str, model_string: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": model_string, "api_key": "k", **params}}


@pytest.mark.parametrize(
    ("model_string", "says"),
    [
        (
            "sagemaker_nova/my-nova-endpoint",
            "provider 'sagemaker_nova' (a LiteLLM provider) is not served by llmrelay",
        ),
        ("auto_router/router-1", "provider 'auto_router' (a LiteLLM provider) is not served by llmrelay"),
        ("azure", "expected `azure/<model>`: the model string names the provider 'azure' but no model"),
        ("azure/", "expected `azure/<model>`"),
        ("opeanai/gpt-4o", "unknown provider 'opeanai' (did you mean `openai/gpt-4o`?)"),
        ("vertex_ai/jamba-1.5-large@001", "Vertex AI model 'jamba-1.5-large@001' is not served by llmrelay"),
    ],
)
def test_unservable_model_strings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_string: str, says: str
) -> None:
    code, err = run(tmp_path, capsys, {"model_list": [OK_MODEL, model("x", model_string)]})
    assert code == 2
    assert err.startswith(f"llmrelay: config error: c.yaml: model_list[1].litellm_params.model: {says}")
    assert err.count("\n") == 1


def test_two_identical_deployments_are_both_served_as_distinct_ones() -> None:
    from llmrelay.router import Router

    config = parse_config({"model_list": [OK_MODEL, OK_MODEL]}, source="c.yaml")
    router = Router(**config.router_kwargs())
    ids = [d.id for d in router.router_deployments("gpt")]
    assert len(ids) == 2 and ids[1] == f"{ids[0]}-2"
    single = Router(model_list=[OK_MODEL]).router_deployments("gpt")[0].id
    assert ids[0] == single  # the first keeps the id it always had


def test_two_deployments_given_one_id_are_refused() -> None:
    first = {**OK_MODEL, "model_info": {"id": "main"}}
    second = {**model("gpt", "openai/gpt-4o-mini"), "model_info": {"id": "main"}}
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [first, second]}, source="c.yaml")
    assert str(refused.value) == (
        "c.yaml: model_list[1].model_info.id: expected a unique id, got 'main' (also the id of model_list[0])"
    )


def test_empty_environment_variables_are_warned_about_by_name() -> None:
    document = {"environment_variables": {"EMPTY": "", "UNSET": None, "PORT": 8080, "ON": True},
                "model_list": [OK_MODEL]}  # fmt: skip
    config = parse_config(document, source="c.yaml", environ={})
    assert config.environment_variables == {"PORT": "8080", "ON": "true"}
    assert "c.yaml: environment_variables.EMPTY: empty value, not exported" in config.warnings
    assert "c.yaml: environment_variables.UNSET: empty value, not exported" in config.warnings


def test_a_nested_environment_value_names_the_key() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"environment_variables": {"CREDS": {"a": 1}}}, source="c.yaml")
    assert (
        str(refused.value)
        == "c.yaml: environment_variables.CREDS: expected a string, number or boolean, got dict"
    )


@pytest.mark.parametrize("section", ["router_settings", "litellm_settings"])
def test_a_fallback_naming_an_unknown_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str
) -> None:
    document = {"model_list": [OK_MODEL, model("claude", "anthropic/claude-3-5-haiku-20241022")],
                section: {"fallbacks": [{"gpt": ["claud"]}]}}  # fmt: skip
    code, err = run(tmp_path, capsys, document)
    assert code == 2
    assert err == (
        f"llmrelay: config error: c.yaml: {section}.fallbacks[0].gpt[0]: names no model group: 'claud' "
        "(did you mean `claude`?); expected one of gpt, claude\n"
    )


def test_an_invalid_routing_strategy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {"model_list": [OK_MODEL], "router_settings": {"routing_strategy": "latency-based"}}
    code, err = run(tmp_path, capsys, document)
    assert code == 2
    assert err.startswith(
        "llmrelay: config error: c.yaml: router_settings.routing_strategy: expected one of "
    )
    assert err.endswith("got 'latency-based' (did you mean `latency-based-routing`?)\n")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u:secret@127.0.0.1/db", "unsupported database scheme 'mysql'"),
        (
            "postgresql://u:secret@127.0.0.1:1/db",
            "cannot connect to postgresql+asyncpg://u:***@127.0.0.1:1/db",
        ),
    ],
)
def test_an_unusable_database_url_stops_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, says: str
) -> None:
    document = {"model_list": [OK_MODEL], "general_settings": {"master_key": "sk-1", "database_url": url}}
    code, err = run(tmp_path, capsys, document)
    assert code == 2
    assert err.startswith(f"llmrelay: config error: c.yaml: general_settings.database_url: {says}")
    assert err.count("\n") == 1 and "secret" not in err


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = ServeOptions(
            host="127.0.0.1", port=port, document={"model_list": [OK_MODEL]}, source="c.yaml"
        )
        with pytest.raises(SystemExit) as stopped:
            serve(options)
    assert stopped.value.code == 2
    in_use = "the port is in use (choose another with --port or PORT)"
    assert capsys.readouterr().err == f"llmrelay: cannot listen on 127.0.0.1:{port}: {in_use}\n"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("rpm", -5, "expected `int` >= 0"),
        ("tpm", -1, "expected `int` >= 0"),
        ("max_parallel_requests", 0, "expected `int` >= 1"),
        ("timeout", -1, "expected `float` > 0.0"),
        ("weight", -2, "expected `float` >= 0.0"),
    ],
)
def test_negative_limits_are_errors(field: str, value: int, expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [model("gpt", "openai/gpt-4o", **{field: value})]}, source="c.yaml")
    assert str(refused.value) == f"c.yaml: model_list[0].litellm_params.{field}: {expected}"


def test_negative_router_settings_are_errors() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [OK_MODEL], "router_settings": {"num_retries": -1}}, source="c.yaml")
    assert str(refused.value) == "c.yaml: router_settings.num_retries: expected `int` >= 0"


def test_a_typo_in_litellm_params_is_a_warning_and_never_sent(openai_sim: Any) -> None:
    from llmrelay.router import Router

    entry = model("gpt", "openai/gpt-4o-mini", api_base=openai_sim.api_base, temprature=0.1)
    entry["litellm_params"]["api_key"] = openai_sim.api_key
    config = parse_config({"model_list": [entry]}, source="c.yaml")
    assert config.warnings == [
        "c.yaml: model_list[0].litellm_params.temprature: unknown parameter, ignored (never sent to the "
        "provider) (did you mean `temperature`?)"
    ]
    router = Router(**config.router_kwargs())
    router.completion(model="gpt", messages=[{"role": "user", "content": "hi"}])
    router.close()
    body = openai_sim.requests.last.body
    assert "temprature" not in body and "temperature" not in body


def test_an_unknown_section_key_gets_a_did_you_mean() -> None:
    config = parse_config({"model_list": [OK_MODEL], "router_settings": {"num_retrys": 2}}, source="c.yaml")
    assert config.warnings == [
        "c.yaml: router_settings.num_retrys: unknown key, ignored (did you mean `num_retries`?)"
    ]


def test_sink_warnings_found_by_the_config_check_are_not_repeated_per_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = parse_config(
        {"model_list": [OK_MODEL], "litellm_settings": {"callbacks": ["datadog"]}}, source="c.yaml"
    )
    assert len([w for w in config.warnings if "datadog" in w]) == 1  # printed by the parent
    with caplog.at_level(logging.WARNING, logger="llmrelay"):
        build_app(config)
    assert not [r for r in caplog.records if "datadog" in r.getMessage()]


def test_a_fallback_to_a_name_a_wildcard_group_serves_is_fine() -> None:
    wildcard = {"model_name": "anthropic/*", "litellm_params": {"model": "anthropic/*", "api_key": "k"}}
    fallbacks = [{"gpt": ["anthropic/claude-3-5-haiku-20241022"]}]
    document = {"model_list": [OK_MODEL, wildcard], "router_settings": {"fallbacks": fallbacks}}
    assert parse_config(document, source="c.yaml").warnings == []


def test_a_deployment_with_no_endpoint_to_call() -> None:
    entry = model("gpt", "azure/my-gpt-4o-deployment")
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [entry]}, source="c.yaml", environ={})
    assert str(refused.value) == (
        "c.yaml: model_list[0].litellm_params.api_base: required for provider 'azure': the endpoint to call "
        "(or set AZURE_API_BASE or AZURE_OPENAI_ENDPOINT)"
    )
    # the variable, from the environment or from environment_variables, is enough
    assert parse_config({"model_list": [entry]}, source="c.yaml", environ={"AZURE_API_BASE": "https://x"})
    document = {"model_list": [entry], "environment_variables": {"AZURE_OPENAI_ENDPOINT": "https://x"}}
    assert parse_config(document, source="c.yaml", environ={})


def test_an_alias_pointing_at_a_misspelt_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {"model_list": [OK_MODEL], "router_settings": {"model_group_alias": {"gpt-4": "gptt"}}}
    code, err = run(tmp_path, capsys, document)
    assert code == 2
    assert err == (
        "llmrelay: config error: c.yaml: model_group_alias 'gpt-4' points at 'gptt', which is not a model "
        "group on this router (did you mean 'gpt'?); known groups: gpt\n"
    )
