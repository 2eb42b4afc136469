"""A key's `allowed_routes`, checked when an admin sets it: each entry a path or one of LiteLLM's
route groups (config/route_rules.py), else 400 naming the field — a list the gateway could not
match would otherwise lock the key out, or (worse) be read as no restriction."""

from __future__ import annotations

from llmrelay.config.route_rules import check_entry
from llmrelay.types.errors import BadRequestError

MAX_ROUTES = 100


def checked_routes(entries: list[str]) -> list[str]:
    if len(entries) > MAX_ROUTES:
        raise BadRequestError(f"allowed_routes holds at most {MAX_ROUTES} entries", param="allowed_routes")
    for entry in entries:
        try:
            check_entry(entry)
        except ValueError as exc:
            raise BadRequestError(f"allowed_routes: {exc}", param="allowed_routes") from None
    return entries
