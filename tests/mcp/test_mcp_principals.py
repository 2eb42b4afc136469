"""object_permission read back from storage (SQLite and PostgreSQL) into what the gate and /mcp
read: a key's servers intersected with its team's, tools per server intersected, and a JWT of the
team governed by the team's."""

from __future__ import annotations

from llmrelay.auth.jwt_identity import JwtIdentity
from llmrelay.auth.jwt_principals import JwtPrincipals
from llmrelay.auth.jwt_settings import JwtAuthSettings
from llmrelay.auth.principal import principal_from_record
from llmrelay.storage import Storage
from llmrelay.storage.records import KeyUpdate, NewKey, NewTeam


async def test_key_and_team_permissions_intersect(storage: Storage) -> None:
    await storage.teams.create(
        NewTeam(
            team_id="t1",
            object_permission={"mcp_servers": ["a", "b"], "mcp_tool_permissions": {"a": ["x", "y"]}},
        )
    )
    await storage.keys.create(
        NewKey(
            key_hash="h1",
            key_name="sk-...1",
            team_id="t1",
            object_permission={
                "mcp_servers": ["b", "c"],
                "mcp_tool_permissions": {"a": ["y", "z"], "b": ["q"]},
            },
        )
    )
    await storage.keys.create(NewKey(key_hash="h2", key_name="sk-...2"))
    record = await storage.principals.load("h1")
    assert record is not None
    key = principal_from_record(record)
    assert key.mcp_servers == frozenset({"b"})
    assert key.mcp_tools == {"a": frozenset({"y"}), "b": frozenset({"q"})}
    unbound = await storage.principals.load("h2")
    assert unbound is not None and principal_from_record(unbound).mcp_servers is None
    # cleared on the key: the team's list alone
    await storage.keys.update("h1", KeyUpdate(object_permission=None))
    record = await storage.principals.load("h1")
    assert record is not None and principal_from_record(record).mcp_servers == frozenset({"a", "b"})


async def test_a_teams_jwt_gets_the_teams_permissions(storage: Storage) -> None:
    await storage.teams.create(NewTeam(team_id="t2", object_permission={"mcp_servers": ["a"]}))
    principals = JwtPrincipals(storage, JwtAuthSettings())
    found = await principals.load(JwtIdentity(role="team", team_id="t2"))
    assert found.mcp_servers == frozenset({"a"})
