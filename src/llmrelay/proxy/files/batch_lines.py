"""A batch input file (JSONL, one request a line) checked and rewritten as it streams to the
upstream: every line a JSON object with `custom_id` (unique), `method`, `url` and a `body` naming a
`model`; a line naming a model group is sent with the group's upstream model (targets.py); each line
bounded in size, the lines and the distinct models in number. What the file names is kept
(`models`: each model as written → its first line) so that a batch is refused, naming the line, to
a key that may not use one of them (batch_routes.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from llmrelay.proxy.nesting import check_nesting
from llmrelay.types.errors import BadRequestError

MAX_LINES = 50_000  # OpenAI's most requests in one batch
MAX_MODELS = 64
MAX_CUSTOM_ID = 512
_DECODE = msgspec.json.Decoder(dict[str, Any])
_ENCODE = msgspec.json.Encoder()

# a model as the line names it → the upstream model to send instead (None: as written)
Rewrite = Callable[[str], str | None]


class BatchLines:
    def __init__(self, rewrite: Rewrite, max_line_bytes: int) -> None:
        self.rewrite = rewrite
        self.max_line_bytes = max_line_bytes
        self.models: dict[str, int] = {}
        self.lines = 0
        self._number = 0
        self._ids: set[str] = set()
        self._tail = b""

    async def through(self, pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for piece in pieces:
            lines = (self._tail + piece).split(b"\n")
            self._tail = lines.pop()
            if len(self._tail) > self.max_line_bytes:
                raise self._refused(
                    self._number + len(lines) + 1, f"is longer than {self.max_line_bytes} bytes"
                )
            out = b"".join(self._line(line) for line in lines)
            if out:
                yield out
        if self._tail.strip():
            yield self._line(self._tail).rstrip(b"\n")
        if not self.lines:
            raise BadRequestError("the batch input file has no request lines", param="file")

    def _line(self, raw: bytes) -> bytes:
        self._number += 1
        number = self._number
        raw = raw.removesuffix(b"\r")
        if not raw.strip():
            return b""  # a blank line (a trailing one) is not sent
        if len(raw) > self.max_line_bytes:
            raise self._refused(number, f"is longer than {self.max_line_bytes} bytes")
        self.lines += 1
        if self.lines > MAX_LINES:
            raise BadRequestError(f"a batch input file holds at most {MAX_LINES} requests", param="file")
        try:
            check_nesting(raw, f"line {number} of the batch input file")
        except BadRequestError as exc:
            exc.param = "file"
            raise
        try:
            line = _DECODE.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise self._refused(number, "is not a JSON object") from None
        custom_id = line.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id or len(custom_id) > MAX_CUSTOM_ID:
            raise self._refused(number, f"needs a custom_id (a string of 1 to {MAX_CUSTOM_ID} characters)")
        if custom_id in self._ids:
            raise self._refused(number, f"repeats custom_id {custom_id!r}")
        self._ids.add(custom_id)
        if line.get("method") != "POST" or not isinstance(line.get("url"), str):
            raise self._refused(number, 'needs "method": "POST" and the endpoint as `url`')
        body = line.get("body")
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str) or not model:
            raise self._refused(number, "needs a `body` naming its `model`")
        if model not in self.models:
            if len(self.models) >= MAX_MODELS:
                raise self._refused(number, f"names more than {MAX_MODELS} distinct models in one file")
            self.models[model] = number
        upstream = self.rewrite(model)
        if upstream is None or upstream == model:
            return raw + b"\n"
        assert isinstance(body, dict)
        body["model"] = upstream
        return _ENCODE.encode(line) + b"\n"

    @staticmethod
    def _refused(number: int, why: str) -> BadRequestError:
        return BadRequestError(f"line {number} of the batch input file {why}", param="file")
