"""The Realtime API's WebSocket in the OpenAI simulator: `GET /v1/realtime?model=` (OpenAI; the
beta protocol's event names when the client sends `OpenAI-Beta: realtime=v1`) and
`GET /openai/realtime?api-version=&deployment=` (Azure OpenAI, `api-key` or an Entra ID token).

A session answers as the real one does, event for event: `session.created` on connect;
`session.update` → `session.updated`; `conversation.item.create` → the item added;
`input_audio_buffer.append` / `.commit` → an audio item; `response.create` → `response.created`, the
output item and content part, text (or audio and transcript) deltas, their `.done` events and
`response.done` with usage. Deterministic (testing/content.py): the reply is `reply_text` of the
last user text; input tokens are every conversation item's tokens (`count_tokens` of text, one
token per 100 bytes of audio), the items of earlier responses counted as cached; output tokens are
the reply's word pieces (text), and twice that again as audio tokens when the reply is audio.

Triggers in a user text item (docs/simulators.md): `__drop__` — the next response.create breaks
the connection without a close frame; `__close__` — it sends an `error` event and closes with 1011;
`__echo_key__` — it sends an `error` event whose message quotes the credential it was opened with;
`__big__` — it sends one 64 KiB event."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import WSMsgType, web

from llmrelay.testing import content as c
from llmrelay.testing.recorder import RecordedRequest

if TYPE_CHECKING:
    from llmrelay.testing.openai_sim import OpenAISimulator

REALTIME_PATH = "/v1/realtime"
AZURE_REALTIME_PATH = "/openai/realtime"
AUDIO_BYTES_PER_TOKEN = 100
# the largest message the simulator takes (OpenAI documents 15 MiB audio appends)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_counter = itertools.count(1)


@dataclass(slots=True)
class _Conversation:
    model: str
    beta: bool
    credential: str
    # breaks the connection without a close frame (the `__drop__` trigger)
    abort: Callable[[], None]
    session: dict[str, Any] = field(default_factory=dict)
    items: list[tuple[str, int]] = field(default_factory=list)  # (user text, tokens)
    audio: bytearray = field(default_factory=bytearray)
    # items already part of an earlier response: the prompt cache holds them
    cached_items: int = 0


def _id(prefix: str) -> str:
    return f"{prefix}_sim{next(_counter):08d}"


class RealtimeEndpoint:
    def __init__(self, sim: OpenAISimulator) -> None:
        self.sim = sim
        # sessions open now, and every session's end: (close code the simulator saw, whether the
        # peer vanished without a close frame), for tests of who closed what
        self.open_sessions = 0
        self.ended: list[int | None] = []

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(REALTIME_PATH, self.serve)
        app.router.add_get(AZURE_REALTIME_PATH, self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.sim.requests.add(
            RecordedRequest(
                method=request.method, path=request.path, headers=headers, query=dict(request.query),
                body=None, raw_body=b"", received_at=time.time(),
            )
        )  # fmt: skip
        azure = request.path == AZURE_REALTIME_PATH
        credential = self._credential(headers, azure)
        if credential is None:
            status, message = 401, "Incorrect API key provided."
            return web.json_response(
                self.sim.error_body(status, message, code="invalid_api_key"), status=status
            )
        model = request.query.get("deployment" if azure else "model")
        if not model or (azure and not request.query.get("api-version")):
            missing = "deployment and api-version" if azure else "model"
            return web.json_response(
                self.sim.error_body(400, f"missing required parameter: {missing}"), status=400
            )
        beta = headers.get("openai-beta", "").strip().lower() == "realtime=v1"
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, autoping=True)
        await ws.prepare(request)
        transport = request.transport
        conversation = _Conversation(model, beta, credential, transport.abort if transport else lambda: None)
        conversation.session = _session(conversation)
        self.open_sessions += 1
        try:
            await self._converse(ws, conversation)
        finally:
            self.open_sessions -= 1
            self.ended.append(ws.close_code)
        return ws

    async def _converse(self, ws: web.WebSocketResponse, conversation: _Conversation) -> None:
        await self._send(ws, {"type": "session.created", "session": conversation.session})
        async for received in ws:
            if received.type is not WSMsgType.TEXT:
                break
            try:
                event = msgspec.json.decode(received.data)
            except msgspec.DecodeError:
                await self._error(ws, "invalid_json", "the event is not JSON")
                continue
            if not isinstance(event, dict):
                await self._error(ws, "invalid_event", "an event is a JSON object")
                continue
            if not await self._handle(ws, conversation, event):
                break

    def _credential(self, headers: dict[str, str], azure: bool) -> str | None:
        key = headers.get("api-key", "").strip() if azure else ""
        if not key:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else ""
        if self.sim.key_accepted(key) or (azure and self.sim.entra.token_valid(key)):
            return key
        return None

    async def _handle(self, ws: web.WebSocketResponse, conv: _Conversation, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind == "session.update":
            update = event.get("session")
            conv.session.update(update if isinstance(update, dict) else {})
            await self._send(ws, {"type": "session.updated", "session": conv.session})
        elif kind == "conversation.item.create":
            text = _item_text(event.get("item"))
            conv.items.append((text, c.count_tokens(text)))
            await self._item_added(ws, conv, {"type": "message", "role": "user",
                                              "content": [{"type": "input_text", "text": text}]})  # fmt: skip
        elif kind == "input_audio_buffer.append":
            conv.audio.extend(base64.b64decode(str(event.get("audio") or ""), validate=False))
        elif kind == "input_audio_buffer.commit":
            tokens = -(-len(conv.audio) // AUDIO_BYTES_PER_TOKEN)
            conv.items.append(("", -tokens))  # negative: audio tokens
            conv.audio.clear()
            item_id = _id("item")
            await self._send(ws, {"type": "input_audio_buffer.committed", "item_id": item_id})
            await self._item_added(ws, conv, {"id": item_id, "type": "message", "role": "user",
                                              "content": [{"type": "input_audio"}]})  # fmt: skip
        elif kind == "response.create":
            return await self._respond(ws, conv)
        else:
            await self._error(ws, "invalid_value", f"Invalid value: '{kind}'. Supported values are ...")
        return True

    async def _item_added(self, ws: web.WebSocketResponse, conv: _Conversation, item: dict[str, Any]) -> None:
        item = {"id": item.get("id") or _id("item"), "object": "realtime.item", "status": "completed", **item}
        if conv.beta:
            await self._send(
                ws, {"type": "conversation.item.created", "previous_item_id": None, "item": item}
            )
        else:
            await self._send(ws, {"type": "conversation.item.added", "previous_item_id": None, "item": item})
            await self._send(ws, {"type": "conversation.item.done", "previous_item_id": None, "item": item})

    async def _respond(self, ws: web.WebSocketResponse, conv: _Conversation) -> bool:
        last = next((text for text, tokens in reversed(conv.items) if tokens >= 0), "")
        if "__drop__" in last:
            conv.abort()
            return False
        if "__close__" in last:
            await self._error(ws, "server_error", "The server had an error while processing your request.")
            await ws.close(code=1011)
            return False
        if "__big__" in last:
            await self._send(ws, {"type": "response.output_text.delta", "delta": "x" * 65_536})
            return True
        if "__echo_key__" in last:
            await self._error(ws, "invalid_api_key", f"Incorrect API key provided: {conv.credential}.")
            return True
        reply = c.reply_text(last)
        pieces = c.word_pieces(reply)
        audio = "audio" in _modalities(conv)
        response_id, item_id = _id("resp"), _id("item")
        response = {"id": response_id, "object": "realtime.response", "status": "in_progress", "output": []}
        await self._send(ws, {"type": "response.created", "response": response})
        item: dict[str, Any] = {"id": item_id, "object": "realtime.item", "type": "message",
                                "role": "assistant", "status": "in_progress", "content": []}  # fmt: skip
        where = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        await self._send(ws, {"type": "response.output_item.added", "response_id": response_id,
                              "output_index": 0, "item": item})  # fmt: skip
        part_type = "audio" if audio else "text"
        await self._send(ws, {"type": "response.content_part.added", **where, "part": {"type": part_type}})
        names = _delta_names(conv.beta, audio)
        for piece in c.group_pieces(pieces, self.sim.settings.chunks):
            await self._send(ws, {"type": names["text"] + ".delta", **where, "delta": piece})
            if audio:
                chunk = base64.b64encode(piece.encode() * 2).decode()
                await self._send(ws, {"type": names["audio"] + ".delta", **where, "delta": chunk})
        if audio:
            await self._send(ws, {"type": names["audio"] + ".done", **where})
        text_key = "transcript" if audio else "text"
        await self._send(ws, {"type": names["text"] + ".done", **where, text_key: reply})
        part = {"type": part_type, text_key: reply}
        await self._send(ws, {"type": "response.content_part.done", **where, "part": part})
        item = {**item, "status": "completed", "content": [part]}
        await self._send(ws, {"type": "response.output_item.done", "response_id": response_id,
                              "output_index": 0, "item": item})  # fmt: skip
        usage = _usage(conv, len(pieces), audio)
        conv.items.append((reply, len(pieces)))
        conv.cached_items = len(conv.items)
        done = {**response, "status": "completed", "output": [item], "usage": usage}
        await self._send(ws, {"type": "response.done", "response": done})
        return True

    async def _error(self, ws: web.WebSocketResponse, code: str, message: str) -> None:
        error_type = "server_error" if code == "server_error" else "invalid_request_error"
        await self._send(ws, {"type": "error", "error": {"type": error_type, "code": code,
                                                        "message": message, "param": None}})  # fmt: skip

    @staticmethod
    async def _send(ws: web.WebSocketResponse, event: dict[str, Any]) -> None:
        await ws.send_str(msgspec.json.encode({"event_id": _id("event"), **event}).decode())


def _session(conv: _Conversation) -> dict[str, Any]:
    session: dict[str, Any] = {"id": _id("sess"), "object": "realtime.session", "model": conv.model}
    if conv.beta:
        session.update(modalities=["text", "audio"], voice="alloy")
    else:
        session.update(type="realtime", output_modalities=["audio"])
    return session


def _modalities(conv: _Conversation) -> list[str]:
    key = "modalities" if conv.beta else "output_modalities"
    value = conv.session.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _delta_names(beta: bool, audio: bool) -> dict[str, str]:
    if beta:
        return {"text": "response.audio_transcript" if audio else "response.text", "audio": "response.audio"}
    text = "response.output_audio_transcript" if audio else "response.output_text"
    return {"text": text, "audio": "response.output_audio"}


def _item_text(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    texts = [
        str(part.get("text") or part.get("transcript") or "")
        for part in item.get("content") or ()
        if isinstance(part, dict)
    ]
    return " ".join(t for t in texts if t)


def _usage(conv: _Conversation, output_tokens: int, audio: bool) -> dict[str, Any]:
    text_in = sum(t for _, t in conv.items if t >= 0)
    audio_in = sum(-t for _, t in conv.items if t < 0)
    cached = conv.items[: conv.cached_items]
    cached_text = sum(t for _, t in cached if t >= 0)
    cached_audio = sum(-t for _, t in cached if t < 0)
    audio_out = 2 * output_tokens if audio else 0
    input_tokens = text_in + audio_in
    out_tokens = output_tokens + audio_out
    return {
        "total_tokens": input_tokens + out_tokens,
        "input_tokens": input_tokens,
        "output_tokens": out_tokens,
        "input_token_details": {
            "cached_tokens": cached_text + cached_audio, "text_tokens": text_in, "audio_tokens": audio_in,
            "image_tokens": 0,
            "cached_tokens_details": {
                "text_tokens": cached_text, "audio_tokens": cached_audio, "image_tokens": 0,
            },
        },
        "output_token_details": {"text_tokens": output_tokens, "audio_tokens": audio_out},
    }  # fmt: skip
