"""The audit log's `changed_by` is the authenticated caller, never a request header: an admin's
LiteLLM-Changed-By is kept as a note beside it, a non-admin sending one is refused before any change;
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from access_harness import MASTER_KEY, AdminClient

from llmrelay.auth import KeyAuthService
from llmrelay.calls.principal import MASTER
from llmrelay.proxy.admin import AdminApi
from llmrelay.storage import Storage
from llmrelay.storage.audit_records import AuditFilter, AuditRecord

HEADER = "LiteLLM-Changed-By"


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[AdminClient]:
    service = KeyAuthService(storage, master_key=MASTER_KEY)
    await service.start()
    yield AdminClient(AdminApi(storage, service.authenticator), service)
    await service.stop()


async def _latest(storage: Storage, object_id: str) -> AuditRecord:
    entries, _ = await storage.audit.page(AuditFilter(object_id=object_id, limit=1))
    return entries[0]


async def test_an_owner_cannot_put_someone_elses_name_on_a_change(
    client: AdminClient, storage: Storage
) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    as_alice = client.principal(alice["key"])
    token = alice["token"]
    status, answer = await client.call(
        "POST", "/key/update", as_alice, {"key": token, "key_alias": "x"}, headers={HEADER: "proxy_admin"}
    )
    assert status == 403 and answer["error"]["param"] == "litellm-changed-by", answer
    key = await storage.keys.get(token)
    assert key is not None and key.key_alias is None  # refused before the change
    status, _ = await client.call("POST", "/key/update", as_alice, {"key": token, "key_alias": "mine"})
    assert status == 200
    entry = await _latest(storage, token)
    assert (entry.changed_by, entry.changed_by_api_key, entry.changed_by_note) == ("alice", token, None)


async def test_an_admins_header_is_a_note_beside_the_caller(client: AdminClient, storage: Storage) -> None:
    said = "ops@example.com\x00\n" + "x" * 400
    await client.call("POST", "/user/new", MASTER, {"user_id": "bob"}, headers={HEADER: said})
    entry = await _latest(storage, "bob")
    assert (entry.changed_by, entry.changed_by_api_key) == ("proxy_admin", "master_key")
    assert entry.changed_by_note is not None and entry.changed_by_note.startswith("ops@example.com")
    assert len(entry.changed_by_note) == 255 and "\x00" not in entry.changed_by_note

    _, root = await client.call("POST", "/user/new", MASTER, {"user_id": "root", "user_role": "proxy_admin"})
    as_root = client.principal(root["key"])
    await client.call(
        "POST", "/user/update", as_root, {"user_id": "bob", "user_alias": "B"}, headers={HEADER: "ticket-42"}
    )
    entry = await _latest(storage, "bob")
    assert (entry.changed_by, entry.changed_by_api_key, entry.changed_by_note) == (
        "root",
        root["token"],
        "ticket-42",
    )
    # the log is searched by the authenticated caller, not by what a header said
    found, total = await storage.audit.page(AuditFilter(changed_by="ticket-42"))
    assert (found, total) == ([], 0)
