"""Deterministic model behaviour shared by every simulator: reply text, token counts, tool-call
arguments, JSON-mode answers, embedding vectors and ids.

Everything is a pure function of its input, so a test can compute what a simulator will answer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
import struct
from typing import Any

_WORD = re.compile(r"\s*\S+")
_TOKEN = re.compile(r"\w+|[^\w\s]")
REPLY_PREFIX = "Simulated reply to: "
TOOL_RESULT_PREFIX = "Tool result received: "
SNIPPET_WORDS = 24


def snippet(text: str, words: int = SNIPPET_WORDS) -> str:
    return " ".join(text.split()[:words])


def reply_text(last_user_text: str) -> str:
    """What the simulated model answers to a conversation whose last user turn says `last_user_text`."""
    return REPLY_PREFIX + (snippet(last_user_text) or "(empty message)")


def tool_result_reply(result_text: str) -> str:
    """The answer after a tool result came back."""
    return TOOL_RESULT_PREFIX + (snippet(result_text) or "(empty result)")


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: words and punctuation marks each count one."""
    return len(_TOKEN.findall(text))


@functools.lru_cache(maxsize=4096)
def word_pieces(text: str) -> tuple[str, ...]:
    """The reply split as a model streams it: one piece per word, each with its leading space.
    The number of pieces is the reply's completion-token count."""
    return tuple(_WORD.findall(text))


def group_pieces(pieces: tuple[str, ...], chunks: int | None) -> list[str]:
    """Group pieces into `chunks` stream deltas (None: one delta per piece)."""
    if not pieces:
        return [""]
    if chunks is None or chunks >= len(pieces):
        return list(pieces)
    chunks = max(1, chunks)
    size, extra = divmod(len(pieces), chunks)
    out, start = [], 0
    for i in range(chunks):
        end = start + size + (1 if i < extra else 0)
        out.append("".join(pieces[start:end]))
        start = end
    return out


def split_text(text: str, parts: int) -> list[str]:
    """Split a string (e.g. tool-call arguments JSON) into `parts` consecutive, non-empty pieces."""
    if not text:
        return [""]
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out


def truncate_to_tokens(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """(text cut to `max_tokens` word pieces, whether it was cut)."""
    pieces = word_pieces(text)
    if max_tokens is None or len(pieces) <= max_tokens:
        return text, False
    return "".join(pieces[: max(0, max_tokens)]), True


# formats whose values a client may parse (pydantic's datetime, EmailStr, HttpUrl, UUID...)
_FORMAT_EXAMPLES = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
}
_MAX_DEPTH = 12


def example_value(schema: Any, name: str, hint: str, root: Any = None, depth: int = 0) -> Any:
    """A value that conforms to a JSON schema, deterministically: OpenAI's and Anthropic's JSON
    Schema ($ref/$defs, anyOf/oneOf/allOf, const, enum, bounds, formats) and Gemini's OpenAPI subset
    (upper-case types such as "INTEGER", `nullable`). Strings take `hint` (the conversation's last
    user text), so answers differ by question."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return hint or name
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [_resolve(o, root) for o in schema.get(key) or ()]
        usable = [o for o in options if not (isinstance(o, dict) and _type_of(o) == "null")]
        if usable:
            return example_value(usable[0], name, hint, root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _resolve(part, root)
            if isinstance(part, dict):
                merged = {**merged, **part, "properties": {**merged.get("properties", {}),
                                                           **part.get("properties", {})}}  # fmt: skip
        return example_value(merged, name, hint, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object" or (kind is None and "properties" in schema):
        return example_object(schema, hint, root, depth + 1)
    if kind == "array":
        return _example_array(schema, name, hint, root, depth)
    if kind == "integer":
        return int(_number_in_bounds(schema, 1))
    if kind == "number":
        return float(_number_in_bounds(schema, 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _example_string(schema, name, hint)


def _resolve(schema: Any, root: Any) -> Any:
    """Follow a local `$ref` ("#/$defs/Item", "#/definitions/Item"); others are left as they are."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        ref: str = schema["$ref"]
        target: Any = root
        for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else ["\x00"]:
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    return str(kind).lower() if kind is not None else None


def _example_array(schema: dict[str, Any], name: str, hint: str, root: Any, depth: int) -> list[Any]:
    prefix = [example_value(item, name, hint, root, depth + 1) for item in schema.get("prefixItems") or ()]
    items = schema.get("items", {})
    count = max(1, int(schema.get("minItems") or 1), len(prefix))
    if schema.get("maxItems") is not None:
        count = min(count, int(schema["maxItems"]))
    values = prefix[:count]
    while len(values) < count:
        values.append(example_value(items, name, hint, root, depth + 1))
    return values


def _number_in_bounds(schema: dict[str, Any], preferred: float) -> float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if schema.get("exclusiveMinimum") is not None and not isinstance(schema["exclusiveMinimum"], bool):
        low = float(schema["exclusiveMinimum"]) + 1
    if schema.get("exclusiveMaximum") is not None and not isinstance(schema["exclusiveMaximum"], bool):
        high = float(schema["exclusiveMaximum"]) - 1
    value = float(preferred)
    if low is not None:
        value = max(value, float(low))
    if high is not None:
        value = min(value, float(high))
    return value


def _example_string(schema: dict[str, Any], name: str, hint: str) -> str:
    fmt = str(schema.get("format") or "").lower()
    if fmt in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[fmt]
    text = hint or name or "x"
    if schema.get("maxLength") is not None:
        text = text[: max(0, int(schema["maxLength"]))]
    if schema.get("minLength") is not None and len(text) < int(schema["minLength"]):
        text = text.ljust(int(schema["minLength"]), "x")
    return text


def example_object(
    schema: dict[str, Any] | None, hint: str, root: Any = None, depth: int = 0
) -> dict[str, Any]:
    """An object for a JSON schema: its required properties (all of them when none are required)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return {}
    props: dict[str, Any] = schema.get("properties") or {}
    wanted = schema.get("required") or list(props)
    return {key: example_value(props.get(key, {}), key, hint, root, depth + 1) for key in wanted}


def schema_in_text(text: str, limit: int = 64) -> dict[str, Any] | None:
    """The first JSON schema of an object written into a prompt (JSON mode clients such as
    instructor describe the answer's schema in the system message), or None."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    tries = 0
    while start >= 0 and tries < limit:
        tries += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            return value
        start = text.find("{", start + 1)
    return None


def json_answer(schema: Any, prompt_text: str, hint: str, reply: str) -> Any:
    """What a model in JSON mode answers: an object for the schema it was given, else for the schema
    the prompt describes, else {"reply": what it would have said as text}."""
    if isinstance(schema, dict) and schema:
        return example_value(schema, "value", hint)
    described = schema_in_text(prompt_text)
    if described is not None:
        return example_value(described, "value", hint)
    return {"reply": reply}


def cut_at_stop(text: str, stops: Any) -> tuple[str, str | None]:
    """`text` up to the first (earliest) stop sequence it contains, and that sequence (or None)."""
    if isinstance(stops, str):
        stops = [stops]
    best: tuple[int, str] | None = None
    for stop in stops or ():
        if isinstance(stop, str) and stop:
            at = text.find(stop)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, stop)
    if best is None:
        return text, None
    return text[: best[0]], best[1]


def pick_tool(names: list[str], descriptions: list[str], user_text: str) -> int:
    """The index of the tool a model would call for `user_text`: the one whose name and description
    share the most words with it (the first on a tie), so a multi-tool agent is not always routed to
    its first tool."""
    wanted = {w.lower() for w in _TOKEN.findall(user_text) if len(w) > 2}
    best, best_score = 0, -1
    for i, (name, description) in enumerate(zip(names, descriptions, strict=True)):
        words = {w.lower() for w in _TOKEN.findall(f"{name.replace('_', ' ')} {description}") if len(w) > 2}
        score = len(wanted & words)
        if score > best_score:
            best, best_score = i, score
    return best


def stable_id(prefix: str, *parts: str, length: int = 24) -> str:
    """An id derived from the request content, so repeated requests get the same id."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return prefix + digest[:length]


@functools.lru_cache(maxsize=2048)
def embedding_vector(text: str, dimensions: int) -> tuple[float, ...]:
    """A unit-length vector seeded by the text: equal texts give equal vectors, others differ."""
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    rng = random.Random(seed)
    values = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    # round through float32 so the float and base64 encodings carry the same numbers
    return tuple(
        struct.unpack(f"<{dimensions}f", struct.pack(f"<{dimensions}f", *(v / norm for v in values)))
    )


def embedding_base64(vector: tuple[float, ...]) -> str:
    """OpenAI's `encoding_format: base64`: little-endian float32 values, base64-encoded."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
