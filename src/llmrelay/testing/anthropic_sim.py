"""A simulator of Anthropic's Messages API: /v1/messages (JSON and the full SSE event sequence, text,
tool_use with input_json_delta, thinking with signatures, prompt caching) and count_tokens, with
Anthropic's header checks, validation and error envelopes (including 529 overloaded)."""

from __future__ import annotations

from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.anthropic_validate import block_text, blocks_of, check_messages_request
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
)
from llmrelay.testing.base import encode_json as _json
from llmrelay.testing.base import sse_event as _event

# Anthropic's documented test prompt prefix that makes the API refuse
REFUSAL_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REFUSAL"
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class AnthropicSimulator(ProviderSimulator):
    kind = "anthropic"
    api_base_path = ""  # Anthropic's api_base is the host root; clients add /v1/messages
    default_context_window = 200_000

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        # prompt-cache prefixes seen (hash of the content up to the last cache_control marker)
        self._cache: set[str] = set()

    def reset_state(self) -> None:
        self._cache.clear()

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v1/messages", self.messages),
            ("POST", "/v1/messages/count_tokens", self.count_tokens),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        kind = (
            detail.get("type")
            or _ERROR_TYPES.get(status)
            or ("invalid_request_error" if status < 500 else "api_error")
        )
        return {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_sim" + c.stable_id("", message, length=20),
        }

    def stream_error_event(self, status: int, message: str) -> bytes:
        return _event(
            "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )

    def check_auth(self, call: Call) -> ProviderError | None:
        key = call.headers.get("x-api-key")
        if not key:
            # newer official SDKs send the key as a bearer token, which the API also takes
            scheme, _, token = call.headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else None
        if not key:
            return ProviderError(401, "x-api-key header is required")
        if not self.key_accepted(key):
            return ProviderError(401, "invalid x-api-key")
        if not call.headers.get("anthropic-version"):
            return ProviderError(400, "anthropic-version: header is required")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            window = self.settings.context_window
            return ProviderError(400, f"prompt is too long: {window + 1} tokens > {window} maximum")
        # Claude 4 models refuse with a 200: partial text and stop_reason "refusal"
        return self._reply(call, refused=True)

    # ---- endpoints
    async def count_tokens(self, call: Call) -> Reply:
        check_messages_request(call.body, counting=True)
        return JsonReply({"input_tokens": sum(tokens for _, tokens in _prompt_segments(call.body))})

    async def messages(self, call: Call) -> Reply:
        return self._reply(call, refused=False)

    def _reply(self, call: Call, *, refused: bool) -> Reply:
        body = call.body
        check_messages_request(body)
        segments = _prompt_segments(body)
        prompt_tokens = sum(tokens for _, tokens in segments)
        if prompt_tokens > self.settings.context_window:
            window = self.settings.context_window
            raise ProviderError(400, f"prompt is too long: {prompt_tokens} tokens > {window} maximum")
        usage = self._input_usage(body, segments, prompt_tokens)
        blocks, stop_reason, stop_sequence = _answer(body)
        refused = refused or any(REFUSAL_TRIGGER in block_text(b) for b in blocks_of(body["messages"][-1]))
        if refused:
            text = "".join(c.word_pieces(c.reply_text(""))[:2])
            blocks, stop_reason, stop_sequence = [{"type": "text", "text": text}], "refusal", None
        output_tokens = sum(_block_tokens(b) for b in blocks)
        message_id = c.stable_id("msg_", body["model"], _json(body["messages"]).decode())
        headers = {"request-id": "req_" + message_id[4:], "anthropic-organization-id": "sim-org"}
        if body.get("stream"):
            events = _stream(message_id, body["model"], blocks, stop_reason, stop_sequence, usage,
                             output_tokens, call.chunks)  # fmt: skip
            return StreamReply(events, headers=headers)
        return JsonReply(
            {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": blocks,
                "stop_reason": stop_reason,
                "stop_sequence": stop_sequence,
                "usage": {**usage, "output_tokens": output_tokens},
            },
            headers=headers,
        )

    def _input_usage(
        self, body: dict[str, Any], segments: list[tuple[dict[str, Any], int]], total: int
    ) -> dict[str, Any]:
        """Split the prompt into uncached, cache-written and cache-read tokens: everything up to the
        last cache_control marker is a cacheable prefix, written the first time, read after."""
        last_marked = max((i for i, (seg, _) in enumerate(segments) if seg.get("cache_control")), default=-1)
        written = read = 0
        if last_marked >= 0:
            prefix_tokens = sum(tokens for _, tokens in segments[: last_marked + 1])
            key = c.stable_id("", body["model"], _json([s for s, _ in segments[: last_marked + 1]]).decode())
            if key in self._cache:
                read = prefix_tokens
            else:
                self._cache.add(key)
                written = prefix_tokens
        return {
            "input_tokens": total - written - read,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
            "service_tier": "standard",
        }


def _prompt_segments(body: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """The prompt as (segment, tokens) in cache order: tools, system, then message blocks."""
    segments: list[tuple[dict[str, Any], int]] = []
    for tool in body.get("tools") or ():
        segments.append((tool, c.count_tokens(_json(tool).decode())))
    system = body.get("system")
    if isinstance(system, str):
        segments.append(({"type": "text", "text": system}, c.count_tokens(system)))
    else:
        for block in system or ():
            segments.append((block, c.count_tokens(block_text(block))))
    for message in body["messages"]:
        for block in blocks_of(message):
            text = (
                _json(block.get("input", {})).decode()
                if block.get("type") == "tool_use"
                else block_text(block)
            )
            segments.append((block, 3 + c.count_tokens(text)))
    return segments


def _answer(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str, str | None]:
    """(content blocks, stop_reason, stop_sequence) of the simulated answer."""
    messages = body["messages"]
    last_blocks = blocks_of(messages[-1])
    user_text = next(
        (" ".join(block_text(b) for b in blocks_of(m) if b.get("type") == "text")
         for m in reversed(messages) if m.get("role") == "user"),
        "",
    )  # fmt: skip
    blocks: list[dict[str, Any]] = []
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled":
        thought = "Thinking about: " + (c.snippet(user_text, 12) or "the request")
        signature = c.stable_id("Sig", thought, length=32) + "=="
        blocks.append({"type": "thinking", "thinking": thought, "signature": signature})
    results = [b for b in last_blocks if b.get("type") == "tool_result"]
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {"type": "auto"}
    forced = choice.get("type") in ("any", "tool")
    # server tools (web_search_...) are run by Anthropic, not called by the client
    client_tools = [t for t in tools if t.get("type") in (None, "custom")]
    if client_tools and choice.get("type") != "none" and (forced or not results):
        names = [t.get("name", "") for t in client_tools]
        tool = client_tools[c.pick_tool(names, [t.get("description") or "" for t in client_tools], user_text)]
        if choice.get("type") == "tool":
            tool = next((t for t in tools if t.get("name") == choice.get("name")), tool)
        schema = tool.get("input_schema") or {}
        if schema.get("properties"):
            args = c.example_object(schema, c.snippet(user_text, 8))
        else:
            # an open object (a JSON-mode answer tool): filled as the prompt describes, as Claude does
            system = body.get("system")
            prompt = " ".join(
                [system if isinstance(system, str) else " ".join(block_text(b) for b in system or ()),
                 *(" ".join(block_text(b) for b in blocks_of(m)) for m in messages)]
            )  # fmt: skip
            answer = c.json_answer(None, prompt, c.snippet(user_text, 8), c.reply_text(user_text))
            args = answer if isinstance(answer, dict) else {"value": answer}
        if choice.get("type") == "auto":
            # as Claude does when free to choose: a sentence, then the call
            blocks.append({"type": "text", "text": f"I will call {tool['name']}."})
        tool_id = c.stable_id(
            "toolu_", tool["name"], _json(args).decode(), user_text, str(len(body["messages"]))
        )
        blocks.append({"type": "tool_use", "id": tool_id, "name": tool["name"], "input": args})
        return blocks, "tool_use", None
    text = (
        c.tool_result_reply(" ".join(block_text(b) for b in results)) if results else c.reply_text(user_text)
    )
    stop_reason, stop_sequence = "end_turn", None
    for stop in body.get("stop_sequences") or ():
        at = text.find(stop)
        if stop and at >= 0:
            text, stop_reason, stop_sequence = text[:at], "stop_sequence", stop
            break
    text, cut = c.truncate_to_tokens(text, body["max_tokens"] - (1 if blocks else 0))
    if cut:
        stop_reason, stop_sequence = "max_tokens", None
    blocks.append({"type": "text", "text": text})
    return blocks, stop_reason, stop_sequence


def _block_tokens(block: dict[str, Any]) -> int:
    if block["type"] == "tool_use":
        return c.count_tokens(block["name"] + _json(block["input"]).decode()) + 3
    if block["type"] == "thinking":
        return len(c.word_pieces(block["thinking"]))
    return len(c.word_pieces(block["text"]))


def _stream(
    message_id: str,
    model: str,
    blocks: list[dict[str, Any]],
    stop_reason: str,
    stop_sequence: str | None,
    usage: dict[str, Any],
    output_tokens: int,
    chunks: int | None,
) -> list[bytes]:
    start: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [_event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(blocks):
        opening, *rest = _block_events(index, block, chunks)
        events.append(opening)
        if index == 0:  # as the API does: a ping right after the first block opens
            events.append(_event("ping", {"type": "ping"}))
        events.extend(rest)
    events.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events


def _block_events(index: int, block: dict[str, Any], chunks: int | None) -> list[bytes]:
    def delta(payload: dict[str, Any]) -> bytes:
        return _event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": payload}
        )

    kind = block["type"]
    if kind == "tool_use":
        head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        pieces = ["", *c.split_text(_json(block["input"]).decode(), chunks or 4)]
        deltas = [delta({"type": "input_json_delta", "partial_json": p}) for p in pieces]
    elif kind == "thinking":
        head = {"type": "thinking", "thinking": ""}
        deltas = [
            delta({"type": "thinking_delta", "thinking": p})
            for p in c.group_pieces(c.word_pieces(block["thinking"]), chunks)
        ]
        deltas.append(delta({"type": "signature_delta", "signature": block["signature"]}))
    else:
        head = {"type": "text", "text": ""}
        deltas = [
            delta({"type": "text_delta", "text": p})
            for p in c.group_pieces(c.word_pieces(block["text"]), chunks)
        ]
    start = _event(
        "content_block_start", {"type": "content_block_start", "index": index, "content_block": head}
    )
    stop = _event("content_block_stop", {"type": "content_block_stop", "index": index})
    return [start, *deltas, stop]
