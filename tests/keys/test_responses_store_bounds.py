"""Stored Responses at their edges, on SQLite and PostgreSQL: a stream is stored once it completed —
before response.completed reaches the client — and not when it fails or the client leaves; retention
purges old responses (in bounded batches); a conversation over the size cap is refused before the
model is called; general_settings.store_responses: false refuses store and previous_response_id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import GatewayThread, admin
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from test_responses_store import client, two_provider_document

from llmrelay.proxy.responses_store import ResponseStore
from llmrelay.storage import Storage
from llmrelay.storage.repos.responses import StoredResponse
from llmrelay.storage.schema import stored_responses
from llmrelay.testing import RunningSimulator


@pytest.fixture
def gateway_with(
    database_url: str,
    storage: Storage,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[Any]:
    started: list[GatewayThread] = []

    def start(**general: Any) -> GatewayThread:
        document = two_provider_document(database_url, openai_sim, anthropic_sim, tmp_path, **general)
        started.append(GatewayThread(document).start())
        return started[-1]

    try:
        yield start
    finally:
        for gw in started:
            gw.stop()


async def new_key(gw: GatewayThread) -> str:
    key: str = (await admin(gw, "/key/generate", {}))["key"]
    return key


def idle(gw: GatewayThread, timeout: float = 10) -> None:
    """Wait until the gateway has no request in flight (the request's handler returned)."""
    deadline = time.monotonic() + timeout
    while gw.app._busy:
        assert time.monotonic() < deadline, "the gateway kept a request in flight"
        time.sleep(0.01)


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude"])
async def test_a_stream_is_stored_before_it_completes(gateway_with: Any, model: str) -> None:
    gw = gateway_with()
    key = await new_key(gw)
    async with client(gw, key) as c:
        stream = await c.responses.create(model=model, input="stream me", stream=True)
        completed = None
        async for event in stream:
            if event.type == "response.completed":
                completed = event.response
                # already stored: a client may chain the moment it sees the end
                stored = await c.responses.retrieve(completed.id)
                assert stored.model_dump() == completed.model_dump()
        assert completed is not None and completed.store is True
        follow = await c.responses.create(model=model, previous_response_id=completed.id, input="go on")
        assert follow.output_text


async def test_a_failed_stream_is_not_stored(gateway_with: Any, openai_sim: RunningSimulator) -> None:
    gw = gateway_with()
    key = await new_key(gw)
    openai_sim.faults.set(error_after=5, chunk_delay=0.02, times=1)
    async with client(gw, key) as c:
        stream = await c.responses.create(
            model="gpt-4o-mini", input="this long answer will break before its end", stream=True
        )
        kinds, response_id = [], None
        async for event in stream:
            kinds.append(event.type)
            if event.type == "response.created":
                response_id = event.response.id
        assert kinds[-1] == "response.failed" and "response.completed" not in kinds
        assert response_id is not None
        with pytest.raises(openai.NotFoundError):
            await c.responses.retrieve(response_id)


async def test_a_stream_the_client_left_is_not_stored(
    gateway_with: Any, openai_sim: RunningSimulator
) -> None:
    gw = gateway_with()
    key = await new_key(gw)
    openai_sim.faults.set(chunk_delay=0.2, times=1)
    async with client(gw, key) as c:
        stream = await c.responses.create(
            model="gpt-4o-mini", input="one two three four five six", stream=True
        )
        response_id = None
        async for event in stream:
            if event.type == "response.created":
                response_id = event.response.id
            if event.type == "response.output_text.delta":
                break  # the client leaves mid-answer
        await stream.close()
        assert response_id is not None
        await asyncio.to_thread(idle, gw)
        with pytest.raises(openai.NotFoundError):
            await c.responses.retrieve(response_id)


async def test_retention_purges_old_responses(gateway_with: Any, storage: Storage) -> None:
    gw = gateway_with(responses_retention_period="1d")
    key = await new_key(gw)
    async with client(gw, key) as c:
        old = await c.responses.create(model="gpt-4o-mini", input="old news")
        new = await c.responses.create(model="gpt-4o-mini", input="fresh news")
        async with storage.db.begin() as conn:
            await conn.execute(
                update(stored_responses)
                .where(stored_responses.c.response_id == old.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=2))
            )
        store = gw.app.state.responses
        assert isinstance(store, ResponseStore) and store.settings.retention == timedelta(days=1)
        assert gw.run(store.purge_once()) == 1
        with pytest.raises(openai.NotFoundError):
            await c.responses.retrieve(old.id)
        assert (await c.responses.retrieve(new.id)).output_text == new.output_text


def _row(response_id: str, created_at: datetime) -> StoredResponse:
    return StoredResponse(
        response_id=response_id, owner="key:k", model="m", created_at=created_at, size_bytes=4,
        input_items="[]", response="{}",
    )  # fmt: skip


async def test_the_purge_works_in_bounded_batches(storage: Storage) -> None:
    now = datetime.now(UTC)
    for i in range(5):
        await storage.responses.add(_row(f"resp_old{i}", now - timedelta(days=40)))
    await storage.responses.add(_row("resp_new", now))
    # one batch of two per call: a backlog is worked off over several rounds
    assert await storage.responses.purge(now - timedelta(days=30), batch_size=2, max_batches=1) == 2
    assert await storage.responses.purge(now - timedelta(days=30), batch_size=2) == 3
    assert await storage.responses.purge(now - timedelta(days=30)) == 0
    assert await storage.responses.get("resp_new", "key:k") is not None
    assert await storage.responses.get("resp_new", "key:other") is None


async def test_a_conversation_over_the_cap_is_refused(
    gateway_with: Any, openai_sim: RunningSimulator
) -> None:
    gw = gateway_with(responses_max_stored_mb=0.002)  # 2,097 bytes
    key = await new_key(gw)
    async with client(gw, key) as c:
        first = await c.responses.create(model="gpt-4o-mini", input="word " * 150)  # ~750 bytes
        before = len(openai_sim.requests)
        with pytest.raises(openai.BadRequestError) as refused:
            await c.responses.create(model="gpt-4o-mini", previous_response_id=first.id, input="more " * 300)
        assert refused.value.body["param"] == "input"  # type: ignore[index]
        assert refused.value.body["code"] == "conversation_too_large"  # type: ignore[index]
        assert len(openai_sim.requests) == before  # the model was not called
        unstored = await c.responses.create(
            model="gpt-4o-mini", previous_response_id=first.id, input="more " * 300, store=False
        )
        assert unstored.store is False and unstored.previous_response_id == first.id


async def test_store_responses_false_refuses_what_it_cannot_keep(gateway_with: Any) -> None:
    gw = gateway_with(store_responses=False)
    key = await new_key(gw)
    async with client(gw, key) as c:
        made = await c.responses.create(model="gpt-4o-mini", input="hi")
        assert made.store is False
        for call, field in (
            (c.responses.create(model="gpt-4o-mini", input="hi", store=True), "store"),
            (
                c.responses.create(model="gpt-4o-mini", input="hi", previous_response_id=made.id),
                "previous_response_id",
            ),
        ):
            with pytest.raises(openai.BadRequestError) as refused:
                await call
            assert refused.value.body["param"] == field  # type: ignore[index]
        with pytest.raises(openai.NotFoundError) as missing:
            await c.responses.retrieve(made.id)
        assert "keeps no responses" in missing.value.message


class _DownRepository:
    """A response repository whose database is gone: every write fails as a driver error would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def add(self, row: StoredResponse) -> None:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_response_that_cannot_be_stored_is_a_503_not_an_answer(gateway_with: Any) -> None:
    gw = gateway_with()
    key = await new_key(gw)
    store = gw.app.state.responses
    store.repo = _DownRepository(store.repo)
    async with client(gw, key) as c:
        with pytest.raises(openai.InternalServerError) as refused:
            await c.responses.create(model="gpt-4o-mini", input="keep this")
        assert refused.value.status_code == 503
        assert refused.value.body["code"] == "response_store_unavailable"  # type: ignore[index]
        assert "database down" not in str(refused.value.body)  # no driver text reaches the client
        stream = await c.responses.create(model="gpt-4o-mini", input="keep this stream", stream=True)
        kinds = [event.type async for event in stream]
        assert kinds[-2:] == ["error", "response.failed"] and "response.completed" not in kinds
        # store: false does not depend on the store
        assert (await c.responses.create(model="gpt-4o-mini", input="fine", store=False)).output_text


async def test_another_instance_answers_for_a_stored_response(gateway_with: Any) -> None:
    one, two = gateway_with(), gateway_with()
    key = await new_key(one)
    async with client(one, key) as first, client(two, key) as second:
        await _known(second)  # the second instance reads the new key from the database
        made = await first.responses.create(model="gpt-4o-mini", input="asked on one")
        assert (await second.responses.retrieve(made.id)).output_text == made.output_text
        follow = await second.responses.create(
            model="claude", previous_response_id=made.id, input="and on two"
        )
        assert follow.previous_response_id == made.id
        await first.responses.delete(follow.id)
        with pytest.raises(openai.NotFoundError):
            await second.responses.retrieve(follow.id)


def test_the_settings_are_read_and_checked_at_load() -> None:
    from llmrelay.config.errors import ConfigError
    from llmrelay.config.loader import parse_config
    from llmrelay.proxy.responses_store import ResponsesSettings

    def settings(**general: Any) -> ResponsesSettings:
        return ResponsesSettings.from_config(parse_config({"general_settings": general}, source="<test>"))

    assert settings().retention == timedelta(days=30) and settings().max_bytes == 8 * 1024 * 1024
    assert settings(responses_retention_period="never").retention is None
    assert settings(responses_retention_period="12h", responses_max_stored_mb=0.5).max_bytes == 524288
    with pytest.raises(ConfigError, match="3 weeks"):
        settings(responses_retention_period="3 weeks")
    with pytest.raises(ConfigError, match="responses_max_stored_mb"):
        settings(responses_max_stored_mb=0)


async def _known(c: openai.AsyncOpenAI, timeout: float = 10) -> None:
    """Wait until the instance behind `c` accepts its key (GET /v1/models counts against no limit)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await c.models.list()
            return
        except openai.AuthenticationError:
            assert time.monotonic() < deadline, "the second instance never learned the key"
            await asyncio.sleep(0.02)
