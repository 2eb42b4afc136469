"""The common base of every canonical type: attribute access like the OpenAI SDK, plain-dict export."""

from __future__ import annotations

from typing import Any

import msgspec


def always_encoded(value: str) -> str:
    """A fresh copy of a constant string, for fields like `object: "chat.completion"` that OpenAI's
    format always carries. msgspec's omit_defaults omits a field whose value *is* (by identity) its
    default; a type's `__post_init__` swaps the default for this equal copy, so it is encoded."""
    return "".join(list(value))


class Model(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A msgspec Struct that reads like the OpenAI SDK's objects and converts to plain data.

    Fields left at their default (usually None) are omitted from encoded output, as OpenAI omits them.
    """

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    # The OpenAI SDK (pydantic) spelling, so code written against it keeps working.
    def model_dump(self) -> dict[str, Any]:
        return self.to_dict()

    def model_dump_json(self) -> str:
        return msgspec.json.encode(self).decode()

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style read, for code written against LiteLLM's dict-like responses."""
        return getattr(self, key, default)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None
