"""The permission table (src/llmrelay/proxy/admin/permission_table.py) is the admin API's truth: every
admin route the gateway serves has a row, docs/security.md shows the table as it is, and each role
is let in or kept out of each route as its row says — checked through a real gateway over SQLite
and PostgreSQL, a request per (route, role), aimed inside the scope the row grants (so "allowed"
means 200, not merely "not 403")."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from permission_world import (
    BUILDERS,
    CALLERS,
    PREFERENCE,
    Case,
    GatewayThread,
    gateway_document,
    http,
    seed_world,
)

from llmrelay.proxy.admin.permission_table import RULES, TABLE, markdown
from llmrelay.storage import upgrade
from llmrelay.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    scratch_name,
    sqlite_url,
)

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN permission table -->", "<!-- END permission table -->"


class World:
    def __init__(self, gw: GatewayThread, keys: dict[str, str]) -> None:
        self.gw, self.keys = gw, keys
        self._ids = itertools.count()

    def uid(self) -> str:
        return f"c{next(self._ids)}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # a database of this module's own: the world is built once and every case adds to it
    name = None
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("permissions"))
    else:
        name = scratch_name("llmrelay_perm")
        url = asyncio.run(create_postgres_database(postgres_admin_url(), name))
    upgrade(url)
    spool = tmp_path_factory.mktemp("spool")
    # no call reaches an upstream here: the model list only has to parse
    # store_model_in_db: the model and credential admin routes are served, and tested, too
    document = gateway_document(
        url, "http://127.0.0.1:9/v1", "sk-unused", spend_spool_dir=str(spool), store_model_in_db=True
    )
    gw = GatewayThread(document).start()
    try:
        yield World(gw, seed_world(gw))
    finally:
        gw.stop()
        if name is not None:
            asyncio.run(drop_postgres_database(postgres_admin_url(), name))


def _route_ids() -> list[tuple[str, str]]:
    return [(rule.method, rule.path) for rule in RULES]


@pytest.mark.parametrize("role", list(CALLERS))
@pytest.mark.parametrize(("method", "path"), _route_ids(), ids=[f"{m} {p}" for m, p in _route_ids()])
def test_each_role_on_each_route_as_the_table_says(world: World, method: str, path: str, role: str) -> None:
    user_id, roles = CALLERS[role]
    scopes = TABLE[(method, path)].scopes(roles)
    scope = next((s for s in PREFERENCE if s in scopes), None)
    target, body = Case(world.gw, scope, user_id, world.uid()).request(method, path)
    status, answer = http(world.gw, method, target, body, key=world.keys[user_id])
    if scope is None:
        assert status == 403, (role, answer)
        assert answer["error"]["code"] == "role_not_allowed", answer
        assert f"role {_stored(role)}" in answer["error"]["message"], answer
    else:
        assert status == 200, (role, scope, answer)


def _stored(role: str) -> str:
    return "internal_user" if role == "team_admin" else role


KEY_FACING_PREFIXES = ("/v1/responses/", "/responses/", "/v1/files", "/files", "/v1/batches", "/batches")


def test_every_admin_route_the_gateway_serves_is_in_the_table(world: World) -> None:
    state = world.gw.app.state
    served = {(method, path) for method, path, _ in state.extra_routes}
    served |= {(method, prefix + "{id}") for method, prefix, _ in state.extra_prefix_routes}
    # not admin routes: the stored Responses, Files and Batches APIs (OpenAI endpoints, each object
    # its creating key's alone: proxy/responses_objects.py, proxy/files/). A new route that is not
    # an admin route is named here.
    served -= {(m, p) for m, p in served if p.startswith(KEY_FACING_PREFIXES)}
    missing = sorted(f"{method} {path}" for method, path in served if (method, path) not in TABLE)
    assert not missing, (
        "admin routes without a row in the permission table (src/llmrelay/proxy/admin/permission_table.py"
        f" RULES; add one _row(...) each, and a request to tests/security/permission_world.py): {missing}"
    )
    stale = sorted(f"{m} {p}" for m, p in TABLE if (m, p) not in served)
    assert not stale, f"rows for routes the gateway does not serve: {stale}"


def test_every_row_has_a_request_written_for_it() -> None:
    assert set(TABLE) <= set(BUILDERS), sorted(set(TABLE) - set(BUILDERS))


def test_the_security_page_shows_the_table_as_it_is() -> None:
    page = (ROOT / "docs" / "security.md").read_text()
    found = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), page, re.S)
    assert found is not None, f"docs/security.md lacks the {BEGIN} ... {END} markers"
    assert found.group(1) == markdown(), (
        "docs/security.md's permission table is stale: splice "
        "llmrelay.proxy.admin.permission_table.markdown() between its markers"
    )


def test_a_route_missing_from_the_table_is_a_proxy_admins_alone() -> None:
    from llmrelay.proxy.admin.permission_table import PROXY_ADMIN, rule_for

    rule = rule_for("POST", "/some/new/route")
    assert dict(rule.grants) == {PROXY_ADMIN: "all"}
    for role, (_, roles) in CALLERS.items():
        assert bool(rule.scopes(roles)) == (role == PROXY_ADMIN)
