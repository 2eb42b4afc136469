"""Storage errors a caller can act on, without driver text or SQL parameters in them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError


class StorageConflict(ValueError):
    """A write broke a uniqueness or reference rule: a duplicate id or alias, or a user, team,
    organization or budget that does not exist."""


@asynccontextmanager
async def conflicts_as(message: str) -> AsyncIterator[None]:
    try:
        yield
    except IntegrityError as exc:
        # the driver's text can echo bound values; keep it out of the message, chain it for debugging
        raise StorageConflict(message) from exc
