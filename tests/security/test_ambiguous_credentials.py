"""Ambiguous credentials (hardening issue): two Authorization headers, or an Authorization key beside
a different x-api-key / api-key / x-goog-api-key, are refused with 400 naming the header — on the
OpenAI, Anthropic and admin routes of a real gateway — instead of the first one silently winning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-ambiguous-credentials-master"
OTHER_KEY = "sk-some-other-key-entirely"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/messages", CHAT),
    ("GET", "/key/list", None),
    ("GET", "/v1/models", None),
]


@pytest.fixture
def gateway(database_url: str, openai_sim: RunningSimulator, tmp_path: Path) -> Iterator[GatewayThread]:
    document = {
        "model_list": [
            {"model_name": "gpt-4o-mini", "litellm_params": {
                "model": "openai/gpt-4o-mini", "api_base": openai_sim.api_base,
                "api_key": openai_sim.api_key}},
        ],
        "general_settings": {"master_key": MASTER_KEY, "database_url": database_url,
                             "spend_spool_dir": str(tmp_path / "spool")},
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


async def _call(
    gw: GatewayThread, method: str, path: str, body: Any, headers: list[tuple[str, str]]
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.request(method, path, json=body, headers=CIMultiDict(headers)) as reply,
    ):
        return reply.status, await reply.json()


AMBIGUOUS: list[tuple[list[tuple[str, str]], str]] = [
    ([("Authorization", f"Bearer {MASTER_KEY}"), ("Authorization", f"Bearer {OTHER_KEY}")], "authorization"),
    ([("Authorization", f"Bearer {MASTER_KEY}"), ("Authorization", f"Bearer {MASTER_KEY}")], "authorization"),
    ([("Authorization", f"Bearer {MASTER_KEY}"), ("x-api-key", OTHER_KEY)], "x-api-key"),
    ([("Authorization", f"Bearer {MASTER_KEY}"), ("api-key", OTHER_KEY)], "api-key"),
    ([("Authorization", f"Bearer {MASTER_KEY}"), ("x-goog-api-key", OTHER_KEY)], "x-goog-api-key"),
    ([("x-api-key", MASTER_KEY), ("x-api-key", OTHER_KEY)], "x-api-key"),
    ([("Authorization", f"Bearer {OTHER_KEY}"), ("x-api-key", MASTER_KEY)], "x-api-key"),
]


async def test_ambiguous_credentials_are_refused_on_every_kind_of_route(gateway: GatewayThread) -> None:
    for method, path, body in ROUTES:
        for headers, header in AMBIGUOUS:
            status, answer = await _call(gateway, method, path, body, headers)
            assert status == 400, (path, headers, answer)
            error = answer["error"]
            assert error["type"] == "invalid_request_error" and "ambiguous credentials" in error["message"]
            if path != "/v1/messages":  # Anthropic's error body has no param
                assert error["param"] == header and error["code"] == "ambiguous_credentials"
            assert MASTER_KEY not in str(answer) and OTHER_KEY not in str(answer)


async def test_one_credential_or_the_same_one_twice_still_works(gateway: GatewayThread) -> None:
    bearer = ("Authorization", f"Bearer {MASTER_KEY}")
    for method, path, body in ROUTES:
        for headers in (
            [bearer],
            [bearer, ("x-api-key", MASTER_KEY)],
            [bearer, ("api-key", f" {MASTER_KEY}")],
        ):
            status, answer = await _call(gateway, method, path, body, headers)
            assert status == 200, (path, headers, answer)
    status, answer = await _call(gateway, "POST", "/v1/messages", CHAT, [("x-api-key", MASTER_KEY)])
    assert status == 200, answer
