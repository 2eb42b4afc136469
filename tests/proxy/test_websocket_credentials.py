"""Where a WebSocket upgrade's key may be: Authorization, `api-key`, or the browsers' subprotocol
offer — read as one `Authorization: Bearer`, and two different keys refused."""

from __future__ import annotations

import pytest

from llmrelay.proxy.websocket import subprotocol_key, websocket_credentials
from llmrelay.types.errors import BadRequestError


def getter(headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda name: headers.get(name)


@pytest.mark.parametrize(("headers", "seen"), [
    ({"authorization": "Bearer sk-1"}, "Bearer sk-1"),
    ({"api-key": " sk-2 "}, "Bearer sk-2"),
    ({"sec-websocket-protocol": "realtime, openai-insecure-api-key.sk-3"}, "Bearer sk-3"),
    ({"authorization": "Bearer k", "sec-websocket-protocol": "openai-insecure-api-key.k"}, "Bearer k"),
    ({"sec-websocket-protocol": "realtime"}, None),
    ({}, None),
])  # fmt: skip
def test_the_key_is_read_from_where_it_was_put(headers: dict[str, str], seen: str | None) -> None:
    header = websocket_credentials(getter(headers))
    assert header("authorization") == seen
    assert header("api-key") is None and header("sec-websocket-protocol") is None


@pytest.mark.parametrize("headers", [
    {"authorization": "Bearer sk-1", "sec-websocket-protocol": "openai-insecure-api-key.sk-2"},
    {"api-key": "sk-1", "sec-websocket-protocol": "openai-insecure-api-key.sk-2"},
    {"sec-websocket-protocol": "openai-insecure-api-key.sk-1, openai-insecure-api-key.sk-2"},
])  # fmt: skip
def test_two_keys_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(BadRequestError):
        websocket_credentials(getter(headers))


def test_an_empty_key_offer_is_no_key() -> None:
    assert subprotocol_key("realtime, openai-insecure-api-key.") is None
    assert subprotocol_key(None) is None
