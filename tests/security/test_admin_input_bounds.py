"""Admin input is bounded at the edge (hardening issue, item 7): a value no column can hold — money
past BigInteger micro-USD, a count past its integer column, a duration past any datetime, a string
longer than its column, a NUL byte PostgreSQL cannot store — is a 400 naming the field, never a 500
(OverflowError, or the database refusing it). Run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import SimulatorGroup
from llmrelay.testing.gateway import GatewayThread

MASTER = "sk-admin-bounds-master"
HUGE_INT = 10**23
NUL = "a\x00b"
LONG = "x" * 300

# (route, body, the field the 400 must name). {key} is a key made for the test, {user}/{team}
# a user and a team.
BODIES: list[Any] = [
    ("/key/generate", {"max_budget": 1e300}, "max_budget"),
    ("/key/generate", {"soft_budget": -1}, "soft_budget"),
    ("/key/generate", {"rpm_limit": HUGE_INT}, "rpm_limit"),
    ("/key/generate", {"rpm_limit": 2**31}, "rpm_limit"),  # past the Integer column
    ("/key/generate", {"tpm_limit": 2**70}, "tpm_limit"),
    ("/key/generate", {"max_parallel_requests": -1}, "max_parallel_requests"),
    ("/key/generate", {"duration": "99999999999d"}, "duration"),
    ("/key/generate", {"budget_duration": "99999999999d"}, "budget_duration"),
    ("/key/generate", {"budget_duration": "1" * 40 + "s"}, "budget_duration"),
    ("/key/generate", {"key_alias": NUL}, "key_alias"),
    ("/key/generate", {"key_alias": LONG}, "key_alias"),
    ("/key/generate", {"user_id": "u" * 65}, "user_id"),
    ("/key/generate", {"team_id": NUL}, "team_id"),
    ("/key/generate", {"models": ["m" * 300]}, "models"),
    ("/key/generate", {"tags": [NUL]}, "tags"),
    ("/key/generate", {"metadata": {"note": NUL}}, "metadata"),
    ("/key/generate", {"metadata": {NUL: 1}}, "metadata"),
    ("/key/generate", {"metadata": {"deep": [{"deeper": [NUL]}]}}, "metadata"),
    # LiteLLM's per-model limits in metadata, which the key gate reads on every call
    ("/key/generate", {"metadata": {"model_rpm_limit": {"m": -1}}}, "metadata.model_rpm_limit"),
    ("/key/generate", {"metadata": {"model_rpm_limit": {"m": 2**31}}}, "metadata.model_rpm_limit"),
    ("/key/generate", {"metadata": {"model_rpm_limit": {"m": True}}}, "metadata.model_rpm_limit"),
    ("/key/generate", {"metadata": {"model_rpm_limit": {"m": 1.5}}}, "metadata.model_rpm_limit"),
    ("/key/generate", {"metadata": {"model_rpm_limit": [1]}}, "metadata.model_rpm_limit"),
    ("/key/generate", {"metadata": {"model_tpm_limit": {"m": 2**64}}}, "metadata.model_tpm_limit"),
    ("/key/generate", {"metadata": {"model_tpm_limit": {LONG: 5}}}, "metadata.model_tpm_limit"),
    (
        "/key/update",
        {"key": "{key}", "metadata": {"model_rpm_limit": {"m": HUGE_INT}}},
        "metadata.model_rpm_limit",
    ),
    ("/key/update", {"key": "{key}", "spend": 1e300}, "spend"),
    ("/key/update", {"key": "{key}", "max_budget": 1e300}, "max_budget"),
    ("/key/update", {"key": "{key}", "duration": "99999999999d"}, "duration"),
    ("/key/update", {"key": "{key}", "rpm_limit": -5}, "rpm_limit"),
    ("/key/update", {"key": "{key}", "key_alias": NUL}, "key_alias"),
    ("/key/delete", {"keys": [NUL]}, "keys"),
    ("/key/delete", {"key_aliases": [NUL]}, "key_aliases"),
    ("/user/new", {"user_id": NUL}, "user_id"),
    ("/user/new", {"user_email": LONG}, "user_email"),
    ("/user/new", {"max_budget": 1e300}, "max_budget"),
    ("/user/new", {"duration": "99999999999d"}, "duration"),
    ("/user/new", {"teams": [NUL]}, "teams"),
    ("/user/update", {"user_id": "{user}", "spend": -5}, "spend"),
    ("/user/update", {"user_id": "{user}", "user_alias": NUL}, "user_alias"),
    ("/user/update", {"user_id": "{user}", "tpm_limit": 2**64}, "tpm_limit"),
    ("/user/delete", {"user_ids": [NUL]}, "user_ids"),
    ("/team/new", {"team_alias": NUL}, "team_alias"),
    ("/team/new", {"team_id": "t" * 65}, "team_id"),
    ("/team/new", {"members_with_roles": [{"user_id": NUL}]}, "members_with_roles"),
    ("/team/new", {"max_budget": 1e300}, "max_budget"),
    ("/team/update", {"team_id": "{team}", "metadata": {"x": NUL}}, "metadata"),
    ("/team/update", {"team_id": "{team}", "rpm_limit": HUGE_INT}, "rpm_limit"),
    ("/team/member_add", {"team_id": "{team}", "member": {"user_id": NUL}}, "member"),
    ("/team/member_delete", {"team_id": NUL, "user_id": "u"}, "team_id"),
    ("/end_user/new", {"user_id": NUL}, "user_id"),
    ("/end_user/new", {"user_id": "eu-1", "max_budget": 1e300}, "max_budget"),
    ("/end_user/new", {"user_id": "eu-1", "budget_duration": "99999999999d"}, "budget_duration"),
    ("/end_user/new", {"user_id": "eu-1", "metadata": {"x": NUL}}, "metadata"),
    ("/end_user/new", {"user_id": "eu-1", "budget_id": NUL}, "budget_id"),
    ("/end_user/update", {"user_id": "eu-1", "spend": 1e300}, "spend"),
    ("/end_user/update", {"user_id": "eu-1", "alias": NUL}, "alias"),
    ("/end_user/block", {"user_ids": [NUL]}, "user_ids"),
]

QUERIES: list[Any] = [
    ("/key/info?key=%00", "key"),
    ("/user/info?user_id=a%00b", "user_id"),
    ("/team/info?team_id=%00", "team_id"),
    ("/end_user/info?end_user_id=%00", "end_user_id"),
    ("/key/list?user_id=%00", "user_id"),
    ("/spend/logs?user_id=%00", "user_id"),
    ("/spend/logs?end_date=9999-12-31", "end_date"),
    ("/spend/daily?team_id=%00", "team_id"),
    ("/audit?object_id=%00", "object_id"),
    ("/audit?end_date=9999-12-31", "end_date"),
    ("/user/info?user_id=" + "u" * 2000, "user_id"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gateway(
    request: pytest.FixtureRequest, simulators: SimulatorGroup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayThread, dict[str, str]]]:
    """One gateway per database for the module; every case is refused, so none changes its state."""
    database_url: str = request.getfixturevalue(
        "sqlite_db_url" if request.param == "sqlite" else "postgres_url"
    )
    sim = simulators.openai
    spool: Path = tmp_path_factory.mktemp("admin-bounds-spool")
    params = {"model": "openai/gpt-4o-mini", "api_base": sim.api_base, "api_key": sim.api_key}
    document = {
        "model_list": [{"model_name": "gpt-4o-mini", "litellm_params": params}],
        "general_settings": {
            "master_key": MASTER,
            "database_url": database_url,
            "spend_spool_dir": str(spool),
        },
    }
    gw = GatewayThread(parse_config(document, source="t")).start()
    try:
        made = gw.run(_make_subjects(gw.base_url))
        yield gw, made
    finally:
        gw.stop()


async def _post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with http.post(path, json=body, headers={"authorization": f"Bearer {MASTER}"}) as reply:
        return reply.status, await reply.json(content_type=None)


async def _make_subjects(base_url: str) -> dict[str, str]:
    """A key, a user and a team for the update routes (unique per run: the database is shared)."""
    import uuid

    suffix = uuid.uuid4().hex[:8]
    async with aiohttp.ClientSession(base_url) as http:
        status, key = await _post(http, "/key/generate", {})
        assert status == 200, key
        status, user = await _post(
            http, "/user/new", {"user_id": f"bounds-{suffix}", "auto_create_key": False}
        )
        assert status == 200, user
        status, team = await _post(http, "/team/new", {"team_id": f"bounds-{suffix}"})
        assert status == 200, team
    return {"key": key["key"], "user": f"bounds-{suffix}", "team": f"bounds-{suffix}"}


def _filled(value: Any, made: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**made) if value in ("{key}", "{user}", "{team}") else value
    if isinstance(value, dict):
        return {k: _filled(v, made) for k, v in value.items()}
    return value


def _assert_names(status: int, body: dict[str, Any], field: str) -> None:
    assert status == 400, body
    error = body["error"]
    assert error["param"] == field, error
    assert field in error["message"], error
    assert set(error) >= {"message", "type", "param", "code"}


@pytest.mark.parametrize(("path", "body", "field"), BODIES)
async def test_out_of_bounds_bodies_are_a_400_naming_the_field(
    gateway: tuple[GatewayThread, dict[str, str]], path: str, body: dict[str, Any], field: str
) -> None:
    gw, made = gateway
    async with aiohttp.ClientSession(gw.base_url) as http:
        status, answer = await _post(http, path, _filled(body, made))
        _assert_names(status, answer, field)
        # and the gateway still works
        status, _ = await _post(http, "/key/generate", {"max_budget": 1e6, "rpm_limit": 2**31 - 1})
        assert status == 200


@pytest.mark.parametrize(("path", "field"), QUERIES)
async def test_out_of_bounds_query_values_are_a_400_naming_them(
    gateway: tuple[GatewayThread, dict[str, str]], path: str, field: str
) -> None:
    gw, _ = gateway
    async with aiohttp.ClientSession(gw.base_url) as http:
        headers = {"authorization": f"Bearer {MASTER}"}
        async with http.get(path, headers=headers) as reply:
            _assert_names(reply.status, await reply.json(content_type=None), field)


async def test_an_audit_entry_id_with_a_nul_is_not_found(
    gateway: tuple[GatewayThread, dict[str, str]],
) -> None:
    gw, _ = gateway
    async with aiohttp.ClientSession(gw.base_url) as http:
        headers = {"authorization": f"Bearer {MASTER}"}
        async with http.get("/audit/a%00b", headers=headers) as reply:
            assert 400 <= reply.status < 500, await reply.text()


async def test_the_largest_accepted_values_are_stored(gateway: tuple[GatewayThread, dict[str, str]]) -> None:
    """The bounds are the columns': their largest values are stored and read back as sent."""
    gw, _ = gateway
    body = {
        "max_budget": 1e12, "rpm_limit": 2**31 - 1, "tpm_limit": 2**63 - 1,
        "max_parallel_requests": 2**31 - 1, "duration": "36500d", "budget_duration": "1200mo",
        "key_alias": "a" * 255, "tags": ["t" * 255], "metadata": {"note": "line one\nline two"},
    }  # fmt: skip
    async with aiohttp.ClientSession(gw.base_url) as http:
        status, key = await _post(http, "/key/generate", body)
        assert status == 200, key
        headers = {"authorization": f"Bearer {MASTER}"}
        async with http.get(f"/key/info?key={key['key']}", headers=headers) as reply:
            assert reply.status == 200
            info = (await reply.json())["info"]
    assert info["max_budget"] == 1e12 and info["tpm_limit"] == 2**63 - 1
    assert info["rpm_limit"] == 2**31 - 1 and info["key_alias"] == "a" * 255
