"""store_model_in_db through the admin API, on SQLite and PostgreSQL: models added, changed and
removed are served at once (file models are read-only), stored with their credentials sealed,
audited without secrets, refused when config.yaml would refuse them, and written by admins only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from models_helpers import MASTER_KEY, call, chat, document, ok, within

from llmrelay.config import parse_config
from llmrelay.storage import Database, Storage
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread


@pytest.fixture
def gateway(db: Database, database_url: str, openai_sim: RunningSimulator, tmp_path: Path) -> Iterator[str]:
    doc = document(database_url, openai_sim.api_base, openai_sim.api_key, str(tmp_path / "spool"))
    gw = GatewayThread(parse_config(doc, source="<test>")).start()
    try:
        yield gw.base_url
    finally:
        gw.stop()


def new_model(
    sim: RunningSimulator, name: str = "db-model", model_id: str = "db-1", **params: Any
) -> dict[str, Any]:
    return {
        "model_name": name,
        "litellm_params": {
            "model": "openai/gpt-4o",
            "api_base": sim.api_base,
            "api_key": sim.api_key,
            **params,
        },
        "model_info": {"id": model_id},
    }


async def audit(base_url: str, object_id: str) -> list[dict[str, Any]]:
    body = await ok(base_url, "GET", f"/audit?page_size=100&sort_order=asc&object_id={object_id}")
    return list(body["audit_logs"])


async def test_a_model_added_is_served_shown_without_its_key_stored_sealed_and_audited(
    gateway: str, openai_sim: RunningSimulator, db: Database
) -> None:
    made = await ok(gateway, "POST", "/model/new", new_model(openai_sim, rpm=100))
    assert made["model_id"] == "db-1" and made["model_info"]["db_model"] is True
    assert "api_key" not in made["litellm_params"] and made["litellm_params"]["rpm"] == 100
    status, answer = await chat(gateway, "db-model")  # applied before /model/new answered
    assert status == 200, answer

    info = await ok(gateway, "GET", "/model/info")
    by_name = {e["model_name"]: e for e in info["data"]}
    assert by_name["db-model"]["model_info"] == {"id": "db-1", "db_model": True}
    assert by_name["file-model"]["model_info"]["db_model"] is False
    assert openai_sim.api_key not in json.dumps(info)
    groups = await ok(gateway, "GET", "/model_group/info?model_group=db-model")
    assert [(g["model_group"], g["providers"], g["rpm"]) for g in groups["data"]] == [
        ("db-model", ["openai"], 100)
    ]

    row = await Storage(db).models.get("db-1")
    assert row is not None and row.sealed_params.startswith("v1.")
    assert openai_sim.api_key not in row.sealed_params and "gpt-4o" not in row.sealed_params

    (created,) = await audit(gateway, "db-1")
    assert (created["action"], created["table_name"]) == ("created", "LiteLLM_ProxyModelTable")
    assert created["updated_values"]["litellm_params"]["api_base"] == openai_sim.api_base
    assert openai_sim.api_key not in json.dumps(created)


async def test_update_patch_and_delete(
    gateway: str, openai_sim: RunningSimulator, start_sim: Callable[..., RunningSimulator]
) -> None:
    other = start_sim("openai")
    await ok(gateway, "POST", "/model/new", new_model(openai_sim))
    change = {"model_info": {"id": "db-1"}, "litellm_params": {"api_base": other.api_base}}
    changed = await ok(gateway, "POST", "/model/update", change)
    assert changed["litellm_params"]["api_base"] == other.api_base
    assert changed["litellm_params"]["model"] == "openai/gpt-4o"  # kept: an update merges
    assert (await chat(gateway, "db-model"))[0] == 200 and other.requests.count() == 1

    renamed = await ok(gateway, "PATCH", "/model/db-1/update", {"model_name": "renamed"})
    assert renamed["model_name"] == "renamed"
    assert (await chat(gateway, "db-model"))[0] == 404
    assert (await chat(gateway, "renamed"))[0] == 200

    gone = await ok(gateway, "POST", "/model/delete", {"id": "db-1"})
    assert gone == {"message": "Model: db-1 deleted successfully"}
    assert (await chat(gateway, "renamed"))[0] == 404
    status, error = await call(gateway, "POST", "/model/delete", {"id": "db-1"})
    assert status == 404 and error["error"]["code"] == "model_not_found"

    actions = [
        (e["action"], e["before_value"] is None, e["updated_values"] is None)
        for e in await audit(gateway, "db-1")
    ]
    assert actions == [("created", True, False), ("updated", False, False), ("updated", False, False),
                       ("deleted", False, True)]  # fmt: skip


async def test_file_models_are_read_only(gateway: str, openai_sim: RunningSimulator) -> None:
    info = await ok(gateway, "GET", "/model/info")
    file_id = next(e["model_info"]["id"] for e in info["data"] if e["model_name"] == "file-model")
    for method, path, body in [
        ("POST", "/model/update", {"model_info": {"id": file_id}, "model_name": "x"}),
        ("PATCH", f"/model/{file_id}/update", {"model_name": "x"}),
        ("POST", "/model/delete", {"id": file_id}),
        ("POST", "/model/new", new_model(openai_sim, model_id=file_id)),
    ]:
        status, error = await call(gateway, method, path, body)
        assert status == 400, (path, error)
        assert error["error"]["code"] == "model_in_config" and "config.yaml" in error["error"]["message"]
    assert (await chat(gateway, "file-model"))[0] == 200


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"litellm_params": {"model": "openai/gpt-4o", "api_kye": "x"}}, "litellm_params.api_kye"),
        ({"litellm_params": {"model": "nosuchprovider/x"}}, "litellm_params.model"),
        (
            {"litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/LLMRELAY_NO_SUCH_VAR"}},
            "litellm_params.api_key",
        ),
        ({"litellm_params": {"model": "openai/gpt-4o", "rpm": -1}}, "litellm_params.rpm"),
        ({"model_info": {"id": "x" * 65}}, "model_info.id"),
        ({"model_info": {"team_id": "t1"}}, "model_info.team_id"),
        (
            {"litellm_params": {"model": "openai/gpt-4o", "litellm_credential_name": "nope"}},
            "litellm_params.litellm_credential_name",
        ),
        ({"surprise": 1}, "surprise"),
        ({"model_name": ""}, "model_name"),
    ],
)
async def test_what_config_yaml_would_refuse_is_a_400_naming_the_field(
    gateway: str, openai_sim: RunningSimulator, change: dict[str, Any], param: str
) -> None:
    body = {**new_model(openai_sim), **change}
    status, error = await call(gateway, "POST", "/model/new", body)
    assert status == 400, error
    assert error["error"]["param"] == param, error
    assert (await chat(gateway, "db-model"))[0] == 404


async def test_only_admins_write_models(gateway: str, openai_sim: RunningSimulator) -> None:
    await ok(gateway, "POST", "/user/new", {"user_id": "ann", "user_role": "internal_user"})
    await ok(gateway, "POST", "/user/new", {"user_id": "boss", "user_role": "proxy_admin"})
    ann = (await ok(gateway, "POST", "/key/generate", {"user_id": "ann"}))["key"]
    boss = (await ok(gateway, "POST", "/key/generate", {"user_id": "boss"}))["key"]
    for method, path, body in [
        ("POST", "/model/new", new_model(openai_sim)),
        ("POST", "/model/delete", {"id": "db-1"}),
        ("POST", "/credentials", {"credential_name": "c", "credential_values": {"api_key": "k"}}),
        ("GET", "/credentials", None),
    ]:
        status, error = await call(gateway, method, path, body, key=ann)
        assert status == 403, (path, error)
    made = await ok(gateway, "POST", "/model/new", new_model(openai_sim), key=boss)
    assert made["created_by"] == "boss"
    (entry,) = await audit(gateway, "db-1")
    assert entry["changed_by"] == "boss"


async def test_a_model_persists_and_a_changed_secret_leaves_it_out(
    db: Database,
    database_url: str,
    openai_sim: RunningSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    doc = document(database_url, openai_sim.api_base, openai_sim.api_key, str(tmp_path / "spool"))
    first = GatewayThread(parse_config(doc, source="<test>")).start()
    try:
        await ok(first.base_url, "POST", "/model/new", new_model(openai_sim))
    finally:
        first.stop()
    again = GatewayThread(parse_config(doc, source="<test>")).start()
    try:
        assert (await chat(again.base_url, "db-model"))[0] == 200  # read from the database at start
    finally:
        again.stop()
    monkeypatch.setenv("LITELLM_SALT_KEY", "another-secret")
    other = GatewayThread(parse_config(doc, source="<test>")).start()
    try:
        assert (await chat(other.base_url, "db-model"))[0] == 404
        assert (await chat(other.base_url, "file-model"))[0] == 200
    finally:
        other.stop()
    assert any(
        "stored model 'db-1'" in r.getMessage() and "does not open" in r.getMessage() for r in caplog.records
    )
    assert MASTER_KEY not in caplog.text and openai_sim.api_key not in caplog.text


async def test_a_call_in_flight_finishes_on_the_deployment_it_started_with(
    gateway: str, start_sim: Callable[..., RunningSimulator]
) -> None:
    import asyncio

    slow, fast = start_sim("openai"), start_sim("openai")
    await ok(gateway, "POST", "/model/new", new_model(slow))
    slow.faults.set(latency=0.5, times=1)
    in_flight = asyncio.create_task(chat(gateway, "db-model"))

    async def arrived() -> bool:
        return slow.requests.count() == 1

    await within(5.0, arrived)
    change = {"model_info": {"id": "db-1"}, "litellm_params": {"api_base": fast.api_base}}
    await ok(gateway, "POST", "/model/update", change)
    assert (await in_flight)[0] == 200
    assert (slow.requests.count(), fast.requests.count()) == (1, 0)
    assert (await chat(gateway, "db-model"))[0] == 200
    assert (slow.requests.count(), fast.requests.count()) == (1, 1)
