"""Request bodies → canonical requests, once, with msgspec; every failure a 400 that names the field.

Fields the canonical type does not know are not dropped: like LiteLLM's proxy, they are passed to the
provider (through `extra_body`). The fast path decodes straight into a strict Struct; only a body with
unknown fields takes the slower dict route."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import msgspec

from llmrelay.core.requests import build_request, move_extras
from llmrelay.proxy.nesting import MAX_JSON_DEPTH, check_nesting
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

T = TypeVar(
    "T",
    ChatRequest,
    EmbeddingRequest,
    TextCompletionRequest,
    RerankRequest,
    ModerationRequest,
    ImageGenerationRequest,
)

_PATH = re.compile(r" - at `\$\.?(.*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = "unknown field"
# the shortest JSON text nested deeper than MAX_JSON_DEPTH: one level more, opened and closed
_NESTABLE = 2 * (MAX_JSON_DEPTH + 1)


class _StrictChat(ChatRequest, forbid_unknown_fields=True):
    pass


def _shadow(cls: type[Any]) -> tuple[type[Any], tuple[str, ...]]:
    """A strict copy of `cls` whose fields msgspec cannot decode directly (unions of several list
    types, like embeddings' `input`) are typed Any and checked by hand after decoding."""
    fields: list[Any] = []
    loose: list[str] = []
    for f in msgspec.structs.fields(cls):
        kind = f.type
        try:
            msgspec.json.Decoder(kind)
        except TypeError:
            kind = Any
            loose.append(f.name)
        if f.required:
            fields.append((f.name, kind))
        else:
            default = f.default if f.default is not msgspec.NODEFAULT else None
            fields.append((f.name, kind, default))
    if not loose:
        # decodable as is: a strict subclass, so the decoded object *is* a `cls`
        return type(f"Strict{cls.__name__}", (cls,), {}, forbid_unknown_fields=True), ()
    shadow = msgspec.defstruct(f"Strict{cls.__name__}", fields, kw_only=True, forbid_unknown_fields=True)
    return shadow, tuple(loose)


def _check_prompt_like(name: str, value: Any) -> None:
    """str | list[str] | list[int] | list[list[int]], as OpenAI's embeddings `input` and `prompt`."""
    ok = isinstance(value, str) or (
        isinstance(value, list)
        and (
            all(isinstance(v, str) for v in value)
            or all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or all(isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value)
        )
    )
    if not ok:
        raise BadRequestError(
            f"invalid request: `{name}` must be a string, a list of strings or a list of token ids",
            param=name,
            code="invalid_request_error",
        )


class BodyDecoder(Generic[T]):
    """Reusable decoder for one request type (msgspec decoders are built once, used per request)."""

    def __init__(self, cls: type[T]) -> None:
        self._cls: type[T] = cls
        self._loose: tuple[str, ...] = ()
        strict: type[Any] = _StrictChat
        if cls is not ChatRequest:
            strict, self._loose = _shadow(cls)
        self._strict: msgspec.json.Decoder[Any] = msgspec.json.Decoder(strict)

    def decode(self, body: bytes) -> T:
        if not body:
            raise BadRequestError("empty request body: expected a JSON object", code="invalid_json")
        # A body with at most MAX_JSON_DEPTH brackets cannot nest deeper. Nor can a shorter body
        # than _NESTABLE: valid JSON that deep needs an opening and a closing bracket per level, and
        # invalid JSON that short fails to decode long before the decoder's recursion limit. The
        # length test spares small bodies the two passes over their bytes.
        if len(body) >= _NESTABLE and body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH:
            check_nesting(body)
        try:
            decoded = self._strict.decode(body)
            if not self._loose:
                result: T = decoded
                return result
            return self._from_shadow(msgspec.structs.asdict(decoded))
        except msgspec.ValidationError as exc:
            if _UNKNOWN not in str(exc):
                raise validation_error(exc) from exc
        except msgspec.DecodeError as exc:
            raise BadRequestError(f"malformed JSON body: {exc}", code="invalid_json") from exc
        return self._with_extras(body)

    def _from_shadow(self, fields: dict[str, Any]) -> T:
        for name in self._loose:
            if fields.get(name) is not None:
                _check_prompt_like(name, fields[name])
        return self._cls(**fields)

    def _with_extras(self, body: bytes) -> T:
        fields = msgspec.json.decode(body)
        if not isinstance(fields, dict):
            raise BadRequestError("expected a JSON object", code="invalid_request_error")
        if self._loose:
            move_extras(fields, self._cls.__struct_fields__)
            return self._from_shadow(self._shadow_decode(fields))
        result: T = build_request(self._cls, fields)
        return result

    def _shadow_decode(self, fields: dict[str, Any]) -> dict[str, Any]:
        try:
            decoded = self._strict.decode(msgspec.json.encode(fields))
        except msgspec.ValidationError as exc:
            raise validation_error(exc) from exc
        result: dict[str, Any] = msgspec.structs.asdict(decoded)
        return result


def validation_error(exc: msgspec.ValidationError) -> BadRequestError:
    """`Expected str, got int - at $.messages[0].role` → 400 with param `messages[0].role`."""
    message = str(exc)
    match = _PATH.search(message)
    path = match.group(1) if match else ""
    missing = _MISSING.search(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    text = _PATH.sub("", message)
    where = f" (field `{path}`)" if path else ""
    return BadRequestError(
        f"invalid request: {text}{where}", param=path or None, code="invalid_request_error"
    )
