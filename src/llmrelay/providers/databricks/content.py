"""Databricks' one departure from OpenAI's chat wire: its Claude and reasoning endpoints send a
message's (or a stream delta's) `content` as a list of blocks, `{"type": "text", "text"}` and
`{"type": "reasoning", "summary": [{"type": "summary_text", "text", "signature"?}]}`, instead of a
string. Here the blocks become OpenAI's shape: the text joined as `content`, the summaries as
`reasoning_content`. A block of another type is an answer this adapter cannot read, and is said so
(never dropped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.providers.sse_decoder import SseChunkDecoder
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatChunk, ChatResponse

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider

_response = msgspec.json.Decoder(ChatResponse)
_chunk = msgspec.json.Decoder(ChatChunk)


def parse_response(body: bytes, provider: str) -> ChatResponse:
    if b'"content":[' not in body and b'"content": [' not in body:
        return _response.decode(body)  # OpenAI's shape: the common case, decoded directly
    data = msgspec.json.decode(body)
    for choice in data.get("choices") or ():
        flatten(choice.get("message") or {}, provider)
    return msgspec.convert(data, ChatResponse)


def parse_chunk(raw: bytes, provider: str) -> ChatChunk:
    if b'"content":[' not in raw and b'"content": [' not in raw:
        return _chunk.decode(raw)
    data = msgspec.json.decode(raw)
    for choice in data.get("choices") or ():
        flatten(choice.get("delta") or {}, provider)
    return msgspec.convert(data, ChatChunk)


def flatten(message: dict[str, Any], provider: str) -> None:
    blocks = message.get("content")
    if not isinstance(blocks, list):
        return
    texts: list[str] = []
    reasoning: list[str] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "reasoning":
            reasoning += [str(s.get("text") or "") for s in block.get("summary") or () if isinstance(s, dict)]
        else:
            raise InternalServerError(
                f"Databricks answered a content block of type {kind!r}, which llmrelay cannot read",
                provider=provider,
            )
    message["content"] = "".join(texts) if texts or not message.get("tool_calls") else None
    if reasoning:
        message["reasoning_content"] = (message.get("reasoning_content") or "") + "".join(reasoning)


class DatabricksStreamDecoder(SseChunkDecoder):
    """OpenAI's chat SSE (`data: {chunk}` ... `data: [DONE]`), with blocks flattened. It declares no
    `wire_dialect`: its bytes may hold blocks an OpenAI client cannot read, so they are never relayed
    as they came."""

    _cut_message = "stream ended before [DONE]: the connection was cut"

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider)

    def _events(self, events: list[Any], *, at_end: bool) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            if event.data == "[DONE]":
                self._ended = True
                continue
            if not event.data:
                continue
            raw = event.data.encode()
            if event.event == "error" or raw.startswith(b'{"error"'):
                raise self._provider.classify_error(500, {}, raw)
            try:
                out.append(parse_chunk(raw, self._provider.name))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end:
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream chunk from Databricks: {exc}", provider=self._provider.name
                ) from exc
        return out
