"""Deterministic model behaviour shared by every simulator: reply text, token counts, tool-call
arguments, JSON-mode answers, embedding vectors and ids.

Everything is a pure function of its input, so a test can compute what a simulator will answer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
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


def example_value(schema: Any, name: str, hint: str) -> Any:
    """A value that fits a JSON schema: the first enum value, else one per type (strings take
    `hint`, the conversation's last user text, so answers differ by question)."""
    if not isinstance(schema, dict):
        return hint
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        return example_object(schema, hint)
    if kind == "array":
        return [example_value(schema.get("items", {}), name, hint)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return hint or name


def example_object(schema: dict[str, Any] | None, hint: str) -> dict[str, Any]:
    """An object for a JSON schema: its required properties (all of them when none are required)."""
    if not schema:
        return {}
    props: dict[str, Any] = schema.get("properties") or {}
    wanted = schema.get("required") or list(props)
    return {key: example_value(props.get(key, {}), key, hint) for key in wanted}


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
