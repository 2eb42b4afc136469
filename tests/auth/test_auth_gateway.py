"""Virtual keys through the real gateway (GatewayApp on Granian) with the official `openai` client:
the gateway's auth seam is KeyAuthenticator; keys are managed through another Storage, as another
instance would, so the gateway learns of changes from the change log."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from llmrelay.auth import KeyAuthService, display_name, generate_key, hash_key
from llmrelay.calls.call import Call
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import NewKey
from llmrelay.testing.ports import free_port
from llmrelay.types.errors import NotFoundError
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

MASTER_KEY = "sk-gateway-master-key"


class OneModelRouter:
    """Answers "ok" for model "m"; just enough of llmrelay.proxy.protocol.ModelRouter."""

    async def route(self, call: Call[Any]) -> ChatResponse:
        if call.operation.name != "chat":
            raise NotFoundError(f"no {call.operation.name} here")
        request = call.request
        if request.model != "m":
            raise NotFoundError(f"model group {request.model!r} not found")
        return ChatResponse(
            id="chatcmpl-t", created=1, model="m",
            choices=[Choice(index=0, message=ResponseMessage(content="ok"), finish_reason="stop")],
            usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2),
        )  # fmt: skip

    def model_names(self) -> list[str]:
        return ["m"]

    def deployments(self, model_name: str | None = None) -> list[Any]:
        return []

    def health(self) -> list[dict[str, Any]]:
        return []

    async def aclose(self) -> None:
        return None


@pytest.fixture
def gateway(database_url: str) -> Iterator[str]:
    """The gateway in a thread with its own loop; its KeyAuthService starts on that loop."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    loop = asyncio.new_event_loop()
    db = Database(database_url)
    service = KeyAuthService(Storage(db), master_key=MASTER_KEY, poll_interval=0.1)
    app = GatewayApp(GatewayState(router=OneModelRouter(), authenticate=service.gateway_authenticator()))
    port = free_port()
    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.RSGI, log_enabled=False)
    failures: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(service.start())
            loop.run_until_complete(server.serve())
        except BaseException as exc:
            failures.append(exc)
        finally:
            loop.run_until_complete(service.stop())
            loop.run_until_complete(db.close())
            loop.close()

    thread = threading.Thread(target=run, name="gateway-with-keys", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while True:
        assert not failures, failures
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(15)


async def _wait_until(check: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"not within {within}s"
        await asyncio.sleep(0.02)


async def test_virtual_keys_through_the_gateway(gateway: str, storage: Storage) -> None:
    key = generate_key()
    await storage.keys.create(NewKey(key_hash=hash_key(key), key_name=display_name(key), models=["m"]))

    async def answers(api_key: str) -> bool:
        client = openai.AsyncOpenAI(base_url=gateway, api_key=api_key, max_retries=0)
        try:
            reply = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
            return reply.choices[0].message.content == "ok"
        except openai.AuthenticationError:
            return False
        finally:
            await client.close()

    await _wait_until(lambda: answers(key), within=2.0)  # learned from the change log
    assert await answers(MASTER_KEY)
    assert not await answers(generate_key())

    await storage.keys.set_blocked(hash_key(key), True)
    await _wait_until(lambda: _refused(gateway, key), within=1.0)
    await storage.keys.set_blocked(hash_key(key), False)
    await _wait_until(lambda: answers(key), within=1.0)
    await storage.keys.delete([hash_key(key)])
    await _wait_until(lambda: _refused(gateway, key), within=1.0)


async def _refused(base_url: str, api_key: str) -> bool:
    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    try:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    except openai.AuthenticationError as exc:
        assert exc.status_code == 401
        return True
    finally:
        await client.close()
    return False
