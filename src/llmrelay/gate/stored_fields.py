"""Strings a client chooses that the gateway stores: bounded and checked before a call is admitted.

With virtual keys on, every call leaves a spend log row, and a `user` also an end-user row. Two of
their strings come from the request body: the model asked for (`model`, also on a 404 for an unknown
model) and the end-user id (OpenAI's `user`, Anthropic's `metadata.user_id`, the Responses API's
`user` / `safety_identifier`). Both are refused with a 400 naming the field, before anything is
reserved, charged or stored, when they are longer than their column or hold a control character
(U+0000 to U+001F, U+007F): PostgreSQL refuses NUL bytes and over-long strings, and a row it refuses
would otherwise be answered 200 and set aside later (see spend/quarantine.py). Truncating instead
would merge distinct end users into one budget and one spend total, so they are refused, not cut.

Everything else on a spend row is the gateway's own (request ids, key hashes, model groups and
deployments from the config, error texts): those are fitted to their columns where they are built
(spend/fitting.py). Metadata tags and `x-litellm-*` / `x-llmrelay-*` headers never reach a stored
row. The checks run in the key gate (KeyGateMiddleware), the one place every route's call passes through
with its model and end user already decoded, whatever the dialect.

The lengths are those of storage/schema.py (`spend_logs.model`, `end_users.end_user_id`);
tests/security/test_spend_jam.py holds them equal.
"""

from __future__ import annotations

import re

from llmrelay.types.errors import BadRequestError

MAX_MODEL_CHARS = 255
MAX_END_USER_CHARS = 255

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_stored_string(field: str, value: str | None, max_chars: int, what: str) -> None:
    """400 naming `field` when `value` is longer than `max_chars` or holds a control character."""
    if value is None:
        return
    if len(value) > max_chars:
        raise BadRequestError(
            f"invalid request: `{field}` ({what}) is {len(value)} characters long; at most "
            f"{max_chars} are accepted",
            param=field,
            code="invalid_request_error",
        )
    if _CONTROL.search(value) is not None:
        raise BadRequestError(
            f"invalid request: `{field}` ({what}) holds a control character (U+0000 to U+001F, or "
            "U+007F), which is not accepted",
            param=field,
            code="invalid_request_error",
        )


def check_call_fields(model: str, end_user: str | None) -> None:
    """The stored strings of one call: the model asked for and the end-user id."""
    check_stored_string("model", model, MAX_MODEL_CHARS, "the model asked for")
    check_stored_string(
        "user", end_user, MAX_END_USER_CHARS, "the end-user id; Anthropic's `metadata.user_id`"
    )
