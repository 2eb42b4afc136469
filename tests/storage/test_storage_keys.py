from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from llmrelay.storage import Storage, StorageConflict
from llmrelay.storage.records import KeyUpdate, NewKey, NewOrganization, NewTeam, NewUser, TeamMember


def new_key(key_hash: str, **fields: object) -> NewKey:
    return NewKey(key_hash=key_hash, key_name=f"sk-...{key_hash[-4:]}", **fields)  # type: ignore[arg-type]


async def test_key_round_trip_keeps_every_field(storage: Storage) -> None:
    await storage.users.create(NewUser(user_id="u1"))
    await storage.teams.create(NewTeam(team_id="t1"))
    expires = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    created = await storage.keys.create(
        new_key(
            "h" * 64,
            key_alias="ci",
            user_id="u1",
            team_id="t1",
            models=["gpt-4o", "claude-*"],
            max_budget_micros=5_000_000,
            budget_duration="30d",
            rpm_limit=10,
            tpm_limit=1000,
            max_parallel_requests=2,
            expires=expires,
            metadata={"env": "ci", "n": 1},
            tags=["a", "b"],
        )
    )
    fetched = await storage.keys.get("h" * 64)
    assert fetched == created
    assert fetched is not None
    assert fetched.expires == expires and fetched.expires.tzinfo is not None
    assert fetched.models == ["gpt-4o", "claude-*"] and fetched.metadata == {"env": "ci", "n": 1}
    assert fetched.spend_micros == 0 and not fetched.blocked
    assert (await storage.keys.get_by_alias("ci")) == created


async def test_update_changes_only_given_fields_and_none_clears(storage: Storage) -> None:
    await storage.keys.create(new_key("a" * 64, key_alias="x", rpm_limit=5, tpm_limit=50))
    updated = await storage.keys.update("a" * 64, KeyUpdate(rpm_limit=None, models=["m"]))
    assert updated is not None
    assert updated.rpm_limit is None and updated.tpm_limit == 50 and updated.models == ["m"]
    assert updated.key_alias == "x"
    assert await storage.keys.update("missing", KeyUpdate(rpm_limit=1)) is None


async def test_alias_is_unique_and_unknown_owner_is_a_conflict(storage: Storage) -> None:
    await storage.keys.create(new_key("a" * 64, key_alias="dup"))
    with pytest.raises(StorageConflict):
        await storage.keys.create(new_key("b" * 64, key_alias="dup"))
    with pytest.raises(StorageConflict):
        await storage.keys.create(new_key("c" * 64, user_id="nobody"))
    assert await storage.keys.get("b" * 64) is None


async def test_list_filters_delete_block_regenerate(storage: Storage) -> None:
    await storage.users.create(NewUser(user_id="u1"))
    await storage.teams.create(NewTeam(team_id="t1"))
    await storage.keys.create(new_key("1" * 64, user_id="u1"))
    await storage.keys.create(new_key("2" * 64, user_id="u1", team_id="t1"))
    await storage.keys.create(new_key("3" * 64))
    assert {k.key_hash for k in await storage.keys.list_keys(user_id="u1")} == {"1" * 64, "2" * 64}
    assert [k.key_hash for k in await storage.keys.list_keys(team_id="t1")] == ["2" * 64]
    assert len(await storage.keys.list_keys(limit=2)) == 2

    blocked = await storage.keys.set_blocked("3" * 64, True)
    assert blocked is not None and blocked.blocked

    renewed = await storage.keys.regenerate("2" * 64, "9" * 64, "sk-...9999")
    assert renewed is not None and renewed.team_id == "t1" and renewed.key_name == "sk-...9999"
    assert await storage.keys.get("2" * 64) is None

    assert await storage.keys.delete(["1" * 64, "nope"]) == ["1" * 64]
    assert await storage.keys.get("1" * 64) is None


async def test_hostile_strings_are_data_not_sql(storage: Storage) -> None:
    # LiteLLM's CVE-2026-42208 came through the key check; every value here travels as a parameter
    hostile = "x' OR '1'='1'; DROP TABLE virtual_keys; --"
    await storage.keys.create(new_key("d" * 64, key_alias=hostile, metadata={"q": hostile}))
    assert await storage.keys.get(hostile) is None
    assert await storage.principals.load(hostile) is None
    found = await storage.keys.get_by_alias(hostile)
    assert found is not None and found.metadata == {"q": hostile}
    assert len(await storage.keys.list_keys()) == 1


async def test_principal_joins_user_team_and_team_organization(storage: Storage) -> None:
    from llmrelay.storage.records import NewBudget

    await storage.budgets.create(NewBudget(budget_id="b1", max_budget_micros=7))
    await storage.organizations.create(NewOrganization(organization_id="o1", budget_id="b1", models=["m1"]))
    await storage.users.create(NewUser(user_id="u1", rpm_limit=3))
    await storage.teams.create(NewTeam(team_id="t1", organization_id="o1", tpm_limit=9))
    await storage.keys.create(new_key("e" * 64, user_id="u1", team_id="t1"))
    await storage.keys.create(new_key("f" * 64))

    full = await storage.principals.load("e" * 64)
    assert full is not None
    assert full.user is not None and full.user.rpm_limit == 3
    assert full.team is not None and full.team.tpm_limit == 9
    assert full.organization is not None and full.organization.models == ["m1"]
    assert full.organization_budget is not None and full.organization_budget.max_budget_micros == 7

    bare = await storage.principals.load("f" * 64)
    assert bare is not None and bare.user is None and bare.team is None and bare.organization is None
    assert await storage.principals.load("0" * 64) is None


async def test_deleting_a_user_or_team_deletes_their_keys(storage: Storage) -> None:
    await storage.users.create(NewUser(user_id="u1"))
    await storage.users.create(NewUser(user_id="u2"))
    await storage.teams.create(NewTeam(team_id="t1"), members=[TeamMember(team_id="t1", user_id="u2")])
    await storage.keys.create(new_key("1" * 64, user_id="u1"))
    await storage.keys.create(new_key("2" * 64, team_id="t1"))
    await storage.keys.create(new_key("3" * 64, user_id="u2"))

    assert await storage.users.delete(["u1"]) == ["u1"]
    assert await storage.keys.get("1" * 64) is None
    assert await storage.teams.delete(["t1"]) == ["t1"]
    assert await storage.keys.get("2" * 64) is None
    assert await storage.keys.get("3" * 64) is not None
    assert await storage.teams.teams_of("u2") == []


async def test_team_membership(storage: Storage) -> None:
    await storage.users.create(NewUser(user_id="u1", user_email="a@example.com"))
    await storage.teams.create(NewTeam(team_id="t1", team_alias="core"))
    await storage.teams.add_member(TeamMember(team_id="t1", user_id="u1", role="admin"))
    with pytest.raises(StorageConflict):
        await storage.teams.add_member(TeamMember(team_id="t1", user_id="u1"))
    members = await storage.teams.members("t1")
    assert [(m.user_id, m.role) for m in members] == [("u1", "admin")]
    assert [m.team_id for m in await storage.teams.teams_of("u1")] == ["t1"]
    assert await storage.teams.remove_member("t1", "u1")
    assert not await storage.teams.remove_member("t1", "u1")
    user = await storage.users.get_by_email("a@example.com")
    assert user is not None and user.user_id == "u1"


async def test_every_auth_relevant_write_is_numbered_in_the_change_log(storage: Storage) -> None:
    start = await storage.changes.latest_version()
    await storage.users.create(NewUser(user_id="u1"))  # creating a user changes no cached principal
    await storage.keys.create(new_key("a" * 64, user_id="u1"))
    await storage.keys.set_blocked("a" * 64, True)
    from llmrelay.storage.records import UserUpdate

    await storage.users.update("u1", UserUpdate(max_budget_micros=1))
    await storage.keys.delete(["a" * 64])
    changes = await storage.changes.since(start)
    assert [(c.kind, c.ident) for c in changes] == [
        ("key", "a" * 64),
        ("key", "a" * 64),
        ("user", "u1"),
        ("key", "a" * 64),
    ]
    assert [c.version for c in changes] == list(range(start + 1, start + 5))
    assert await storage.changes.latest_version() == start + 4
    assert await storage.changes.since(start + 4) == []


async def test_change_listener_runs_after_commit(db: object) -> None:
    from llmrelay.storage import Database

    assert isinstance(db, Database)
    seen: list[tuple[str, str, bool]] = []
    storage = Storage(db)

    async def listener(changes: list) -> None:  # type: ignore[type-arg]
        for change in changes:
            # the change must already be readable by another connection
            seen.append((change.kind, change.ident, await storage.keys.get(change.ident) is not None))

    storage.set_change_listener(listener)
    await storage.keys.create(new_key("a" * 64))
    await storage.keys.delete(["a" * 64])
    assert seen == [("key", "a" * 64, True), ("key", "a" * 64, False)]


async def test_naive_datetimes_are_refused(storage: Storage) -> None:
    with pytest.raises(Exception, match="naive"):
        await storage.keys.create(new_key("a" * 64, expires=datetime(2030, 1, 1)))
    soon = datetime.now(UTC) + timedelta(days=1)
    created = await storage.keys.create(new_key("b" * 64, expires=soon))
    assert created.expires == soon
