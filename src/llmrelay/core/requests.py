"""SDK keyword arguments → typed canonical requests, with errors that name the bad field."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import msgspec

from llmrelay.types.errors import BadRequestError

# any request Struct: a new call type's request needs no entry here
T = TypeVar("T", bound=msgspec.Struct)


def build_request(cls: type[T], fields: dict[str, Any]) -> T:
    """Validate known fields by type; unknown ones go to `extra_body`, passed to the provider as is."""
    move_extras(fields, cls.__struct_fields__)
    try:
        return msgspec.convert(fields, cls)
    except msgspec.ValidationError as exc:
        param = _path_of(str(exc))
        raise BadRequestError(f"invalid request: {exc}", param=param) from exc


def move_extras(fields: dict[str, Any], known: Collection[str]) -> None:
    """Move the fields a request type does not know into `extra_body`, merged with the one the
    caller gave (which must then be an object: 400 naming it, not a TypeError)."""
    extra = {k: fields.pop(k) for k in list(fields) if k not in known}
    if not extra:
        return
    given = fields.get("extra_body")
    if given is not None and not isinstance(given, dict):
        raise BadRequestError(
            "invalid request: `extra_body` must be an object when other unknown fields are given",
            param="extra_body",
        )
    fields["extra_body"] = {**(given or {}), **extra}


def _path_of(message: str) -> str | None:
    # msgspec reports "... - at `$.messages[0].role`"
    marker = "at `$."
    start = message.find(marker)
    if start == -1:
        return None
    return message[start + len(marker) :].rstrip("`")
