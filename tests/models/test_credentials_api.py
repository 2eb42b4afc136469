"""Reusable credentials: credential_list in config.yaml and /credentials in the database (values
sealed, answered masked), named by deployments in litellm_params.litellm_credential_name; a change
of a credential reaches the deployments naming it; one in use cannot be deleted; the file's are
read-only. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from models_helpers import call, chat, document, ok

from llmrelay.config import parse_config
from llmrelay.config.errors import ConfigError
from llmrelay.storage import Database, Storage
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread


@pytest.fixture
def gateway(db: Database, database_url: str, openai_sim: RunningSimulator, tmp_path: Path) -> Iterator[str]:
    doc = document(database_url, openai_sim.api_base, openai_sim.api_key, str(tmp_path / "spool"))
    doc["credential_list"] = [
        {"credential_name": "from-file", "credential_values": {"api_key": openai_sim.api_key,
                                                               "api_base": openai_sim.api_base}}
    ]  # fmt: skip
    doc["model_list"].append(
        {
            "model_name": "file-cred",
            "litellm_params": {"model": "openai/gpt-4o", "litellm_credential_name": "from-file"},
        }
    )
    gw = GatewayThread(parse_config(doc, source="<test>")).start()
    try:
        yield gw.base_url
    finally:
        gw.stop()


def named(credential: str, name: str = "cred-model") -> dict[str, Any]:
    return {
        "model_name": name,
        "litellm_params": {"model": "openai/gpt-4o", "litellm_credential_name": credential},
    }


async def test_a_stored_credential_serves_the_models_naming_it(
    gateway: str, openai_sim: RunningSimulator, start_sim: Callable[..., RunningSimulator], db: Database
) -> None:
    values = {"api_key": openai_sim.api_key, "api_base": openai_sim.api_base}
    made = await ok(gateway, "POST", "/credentials", {"credential_name": "sim", "credential_values": values,
                                                       "credential_info": {"team": "ml"}})  # fmt: skip
    assert made == {"success": True, "message": "Credential created successfully"}
    listed = await ok(gateway, "GET", "/credentials")
    by_name = {c["credential_name"]: c for c in listed["credentials"]}
    assert by_name["sim"]["credential_values"] == {"api_key": "***", "api_base": openai_sim.api_base}
    assert (by_name["sim"]["source"], by_name["from-file"]["source"]) == ("db", "config")
    assert openai_sim.api_key not in json.dumps(listed)
    one = await ok(gateway, "GET", "/credentials/by_name/sim")
    assert one["credential_info"] == {"team": "ml"}
    row = await Storage(db).credentials.get("sim")
    assert row is not None and openai_sim.api_key not in row.sealed_values

    await ok(gateway, "POST", "/model/new", named("sim"))
    assert (await chat(gateway, "cred-model"))[0] == 200
    assert (await chat(gateway, "file-cred"))[0] == 200

    # a changed credential reaches the deployment naming it
    other = start_sim("openai")
    await ok(gateway, "PATCH", "/credentials/sim", {"credential_values": {"api_base": other.api_base}})
    assert (await chat(gateway, "cred-model"))[0] == 200 and other.requests.count() == 1

    status, error = await call(gateway, "DELETE", "/credentials/sim")
    assert status == 400 and "sim" in error["error"]["message"]  # still named by cred-model
    model_id = next(e["model_info"]["id"] for e in (await ok(gateway, "GET", "/model/info"))["data"]
                    if e["model_name"] == "cred-model")  # fmt: skip
    await ok(gateway, "POST", "/model/delete", {"id": model_id})
    await ok(gateway, "DELETE", "/credentials/sim")
    assert (await call(gateway, "GET", "/credentials/sim"))[0] == 404


async def test_refusals(gateway: str) -> None:
    for method, path, body, param in [
        ("POST", "/credentials", {"credential_name": "x", "credential_values": {"model": "openai/x"}},
         "credential_values.model"),
        ("POST", "/credentials", {"credential_name": "x", "credential_values": {"api_kye": "k"}},
         "credential_values.api_kye"),
        ("POST", "/credentials", {"credential_name": "from-file", "credential_values": {"api_key": "k"}},
         "credential_name"),
        ("PATCH", "/credentials/from-file", {"credential_values": {"api_key": "k"}}, "credential_name"),
        ("DELETE", "/credentials/from-file", None, "credential_name"),
        ("POST", "/model/new", named("nope"), "litellm_params.litellm_credential_name"),
    ]:  # fmt: skip
        status, error = await call(gateway, method, path, body)
        assert status == 400, (path, error)
        assert error["error"]["param"] == param, (path, error)
    assert (await chat(gateway, "file-cred"))[0] == 200


def test_credential_list_in_config_yaml(openai_sim: RunningSimulator) -> None:
    model = named("c")
    with pytest.raises(
        ConfigError, match=r"model_list\[0\]\.litellm_params\.litellm_credential_name: names no"
    ):
        parse_config({"model_list": [model]}, source="c.yaml", environ={})
    twice = [{"credential_name": "c", "credential_values": {"api_key": "k"}}] * 2
    with pytest.raises(ConfigError, match=r"credential_list\[1\]\.credential_name"):
        parse_config({"model_list": [], "credential_list": twice}, source="c.yaml", environ={})
    own = {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "litellm_credential_name": "c",
                                                  "api_base": "http://own.example"}}  # fmt: skip
    config = parse_config(
        {"model_list": [own], "credential_list": [{"credential_name": "c", "credential_values": {
            "api_key": "os.environ/CRED_KEY", "api_base": "http://cred.example"}}]},
        source="c.yaml", environ={"CRED_KEY": "sk-from-env"},
    )  # fmt: skip
    assert config.warnings == []
    (routed,) = config.router_model_list()
    # the deployment's own value wins; the credential fills in the rest; the name is not passed on
    assert routed["litellm_params"] == {"model": "openai/gpt-4o", "api_base": "http://own.example",
                                        "api_key": "sk-from-env"}  # fmt: skip
