"""The `anthropic-beta` request header: a comma-separated list of beta feature names
(`prompt-caching-2024-07-31,context-1m-2025-08-07`), bounded before it goes anywhere."""

from __future__ import annotations

import re

from llmrelay.types.errors import BadRequestError

MAX_BETAS = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def parse_betas(value: str | None) -> list[str] | None:
    """The beta names of the header's value (None when absent or empty); a malformed name → 400."""
    if not value:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) > MAX_BETAS:
        raise BadRequestError(
            f"anthropic-beta: at most {MAX_BETAS} beta features, got {len(names)}", param="anthropic-beta"
        )
    for name in names:
        if not _NAME.fullmatch(name):
            raise BadRequestError(
                "anthropic-beta: a beta feature name is letters, digits, '.', '_' and '-' (at most 64)",
                param="anthropic-beta",
            )
    return names or None
