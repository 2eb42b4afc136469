"""The gateway's stored Responses (`store: true`, `previous_response_id`, GET/DELETE
/v1/responses/{id}): kept in the virtual keys' database (the embedded SQLite store, or PostgreSQL
for many instances), owned by the key that made them, bounded in size and purged by age.

There is a store only where there is a database (proxy/keys_setup.py installs it) and
`general_settings.store_responses` is not false. Then a request that says nothing about `store` is
stored, as OpenAI's default is; `store: false` is not. Without a store, `store: true` and
`previous_response_id` are refused with a 400 rather than accepted and forgotten.

The owner of a response is the key that created it (its hash; a JWT's user and team; the master
key; an open gateway's anonymous callers): any other caller is told 404, as for an id that never
existed, so ids of other keys' responses cannot even be confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from llmrelay.calls.principal import Principal
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig
from llmrelay.storage.durations import next_reset
from llmrelay.storage.repos.responses import ResponseRepository, StoredResponse
from llmrelay.types.errors import BadRequestError, NotFoundError, ServiceUnavailableError
from llmrelay.types.responses import Response

log = logging.getLogger("llmrelay.proxy")
T = TypeVar("T")

Item = dict[str, Any]
MAX_ID = 64  # stored_responses.response_id's length
DEFAULT_RETENTION = timedelta(days=30)  # as OpenAI keeps stored responses
DEFAULT_MAX_MB = 8.0
# seconds between two purges of expired responses (each worker purges; deleting is idempotent)
PURGE_INTERVAL = 300.0

_encoder = msgspec.json.Encoder()
_items_decoder = msgspec.json.Decoder(list[dict[str, Any]])


@dataclass(frozen=True, slots=True)
class ResponsesSettings:
    """`retention`: how long a response is kept (None: until deleted); `max_bytes`: the largest
    conversation (input items) a stored response may hold — a request whose conversation would
    be larger is refused with a 400 before the model is called."""

    retention: timedelta | None = DEFAULT_RETENTION
    max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)
    purge_interval: float = PURGE_INTERVAL

    @classmethod
    def from_config(cls, config: GatewayConfig) -> ResponsesSettings:
        general = config.general
        mb = general.responses_max_stored_mb
        return cls(
            retention=_retention(config, general.responses_retention_period),
            max_bytes=int((DEFAULT_MAX_MB if mb is None else mb) * 1024 * 1024),
        )


def _retention(config: GatewayConfig, text: str | None) -> timedelta | None:
    if text is None:
        return DEFAULT_RETENTION
    if text.strip().lower() in ("never", "forever"):
        return None
    start = datetime(2000, 1, 1, tzinfo=UTC)
    try:
        return next_reset(text, start) - start
    except ValueError as exc:
        raise ConfigError(
            config.source,
            "general_settings.responses_retention_period",
            f"expected a duration such as '30d', '12h' or '1mo' (or 'never'), got {text!r}: {exc}",
        ) from None


def owner_of(principal: Principal) -> str:
    """Who owns what `principal` stores: its key, a JWT's user and team, else its kind."""
    if principal.key_hash:
        return f"key:{principal.key_hash}"
    if principal.key is not None:
        return principal.key.key_hash  # a JWT: "jwt:<user>:<team>"
    return principal.kind


class Conversation(msgspec.Struct, kw_only=True):
    """A stored response, read back: the Response's JSON as sent, and its conversation's items
    (decoded when asked for: GET /v1/responses/{id} sends the Response alone)."""

    response_id: str
    response: bytes
    items_json: str

    def items(self) -> list[Item]:
        return _items_decoder.decode(self.items_json)


class ResponseStore:
    def __init__(self, repo: ResponseRepository, settings: ResponsesSettings) -> None:
        self.repo = repo
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    async def read(self, response_id: str, principal: Principal, field: str = "response_id") -> Conversation:
        """The response `response_id` of `principal`; NotFoundError naming `field` otherwise."""
        # an id longer than the column cannot exist: no query for it
        row = None
        if len(response_id) <= MAX_ID:
            row = await self._guarded(self.repo.get(response_id, owner_of(principal)))
        if row is None:
            shown = response_id if len(response_id) <= MAX_ID else response_id[:MAX_ID] + "..."
            raise NotFoundError(
                f"{field}: no stored response {shown!r} (it never existed, was deleted, expired, "
                "or belongs to another key)",
                param=field,
                code="response_not_found",
            )
        return Conversation(
            response_id=row.response_id, response=row.response.encode(), items_json=row.input_items
        )

    def check_size(self, items: list[Item]) -> bytes:
        """The conversation as stored JSON; a 400 naming `input` when it is over the cap."""
        data = _encoder.encode(items)
        if len(data) > self.settings.max_bytes:
            raise BadRequestError(
                f"input: the conversation is {len(data)} bytes, more than the {self.settings.max_bytes} "
                "a stored response may hold (general_settings.responses_max_stored_mb); send store: "
                "false and the whole conversation in `input`",
                param="input",
                code="conversation_too_large",
            )
        return data

    async def save(self, response: Response, items: bytes, principal: Principal) -> None:
        """Keep `response` and the conversation it answered; a database failure is a 503."""
        body = _encoder.encode(response)
        row = StoredResponse(
            response_id=response.id,
            owner=owner_of(principal),
            team_id=principal.team_id,
            model=response.model,
            previous_response_id=response.previous_response_id,
            created_at=datetime.now(UTC),
            size_bytes=len(items) + len(body),
            input_items=items.decode(),
            response=body.decode(),
        )
        await self._guarded(self.repo.add(row))

    async def delete(self, response_id: str, principal: Principal) -> None:
        if not await self._guarded(self.repo.delete(response_id, owner_of(principal))):
            raise NotFoundError(
                f"response_id: no stored response {response_id!r}",
                param="response_id",
                code="response_not_found",
            )

    @staticmethod
    async def _guarded(step: Awaitable[T]) -> T:
        try:
            return await step
        except (SQLAlchemyError, OSError) as exc:
            raise ServiceUnavailableError(
                f"the response store cannot be reached now ({type(exc).__name__})",
                code="response_store_unavailable",
                retry_after=1.0,
            ) from None

    # ---- retention

    async def purge_once(self) -> int:
        if self.settings.retention is None:
            return 0
        return await self.repo.purge(datetime.now(UTC) - self.settings.retention)

    async def start(self) -> None:
        if self.settings.retention is not None:
            self._task = asyncio.create_task(self._purge_loop(), name="responses-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self.purge_once()
                if purged:
                    log.info("purged %d stored responses past their retention", purged)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("purging stored responses failed (%s); retrying next round", type(exc).__name__)
            await asyncio.sleep(self.settings.purge_interval)
