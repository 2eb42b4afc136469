"""A chosen key value (`key` on /key/generate, `new_key` on /key/regenerate) may not be the master
key's value nor any existing key's: refused with 400, for admins and owners alike, the same answer
for both cases; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from access_harness import MASTER_KEY, AdminClient

from llmrelay.auth import KeyAuthService, hash_key
from llmrelay.calls.principal import MASTER
from llmrelay.proxy.admin import AdminApi
from llmrelay.storage import Storage


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[AdminClient]:
    service = KeyAuthService(storage, master_key=MASTER_KEY)
    await service.start()
    yield AdminClient(AdminApi(storage, service.authenticator), service)
    await service.stop()


async def test_no_key_takes_the_master_keys_value(client: AdminClient, storage: Storage) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    as_alice = client.principal(alice["key"])
    for caller in (as_alice, MASTER):
        status, answer = await client.call("POST", "/key/generate", caller, {"key": MASTER_KEY})
        assert status == 400 and answer["error"]["param"] == "key", answer
        assert answer["error"]["code"] == "key_taken"
        status, answer = await client.call(
            "POST", "/key/regenerate", caller, {"key": alice["key"], "new_key": MASTER_KEY}
        )
        assert status == 400 and answer["error"]["param"] == "new_key", answer
    assert await storage.keys.get(hash_key(MASTER_KEY)) is None
    # nothing changed: alice's key works, the master key is still the master key
    assert client.principal(alice["key"]).user_id == "alice"
    assert client.principal(MASTER_KEY) == MASTER


async def test_no_key_takes_an_existing_keys_value(client: AdminClient, storage: Storage) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    _, bob = await client.call("POST", "/user/new", MASTER, {"user_id": "bob"})
    as_alice = client.principal(alice["key"])
    status, answer = await client.call("POST", "/key/generate", as_alice, {"key": bob["key"]})
    assert (status, answer["error"]["code"]) == (400, "key_taken")
    status, answer = await client.call(
        "POST", "/key/regenerate", as_alice, {"key": alice["key"], "new_key": bob["key"]}
    )
    assert (status, answer["error"]["code"]) == (400, "key_taken")
    # the same answer as for the master key: which key it matched is not told
    master_answer = (await client.call("POST", "/key/generate", as_alice, {"key": MASTER_KEY}))[1]
    assert master_answer["error"]["message"] == answer["error"]["message"]
    assert client.principal(bob["key"]).user_id == "bob"
    assert client.principal(alice["key"]).user_id == "alice"
    bob_row = await storage.keys.get(hash_key(bob["key"]))
    assert bob_row is not None and bob_row.user_id == "bob"


async def test_regenerate_with_a_fresh_chosen_key(client: AdminClient) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    as_alice = client.principal(alice["key"])
    fresh = "sk-alice-chosen-key-0123456789"
    status, renewed = await client.call(
        "POST", "/key/regenerate", as_alice, {"key": alice["key"], "new_key": fresh}
    )
    assert status == 200 and renewed["key"] == fresh and renewed["token"] == hash_key(fresh)
    assert client.principal(fresh).user_id == "alice"
    # a setting sent to /key/regenerate is refused, not ignored
    status, answer = await client.call("POST", "/key/regenerate", MASTER, {"key": fresh, "duration": None})
    assert status == 400 and answer["error"]["param"] == "duration"


async def test_a_chosen_key_is_visible_ascii(client: AdminClient, storage: Storage) -> None:
    """A key travels in a header and its last characters are stored: a NUL (which PostgreSQL refuses)
    or a space is a 400 naming the field, never a 500."""
    for bad in (
        "sk-0123456789abcdef\x00",
        "sk-0123456789abcdef gh",
        "sk-0123456789abcdefé",
        "sk-" + "a" * 600,
    ):
        status, answer = await client.call("POST", "/key/generate", MASTER, {"key": bad})
        assert status == 400 and answer["error"]["param"] == "key", (bad, answer)
    assert await storage.keys.list_keys() == []
