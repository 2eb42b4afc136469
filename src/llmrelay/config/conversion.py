"""A config section read into its typed value: a type mismatch is a ConfigError naming the path
inside the file (msgspec's own path, put after the section's), and what was found instead."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from llmrelay.config.errors import ConfigError

_MSGSPEC_PATH = re.compile(r" - at `\$(.*)`$")


def checked(value: Any, cls: Any, source: str, path: str) -> Any:
    try:
        return msgspec.convert(value, cls, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _MSGSPEC_PATH.search(message)
        inner = match.group(1) if match else ""
        problem = _MSGSPEC_PATH.sub("", message)
        problem = problem.replace("Expected", "expected").replace("Object missing", "missing")
        raise ConfigError(source, path + inner, problem) from exc


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    kinds: dict[type[Any], str] = {dict: "a mapping", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)
