"""/key/* — LiteLLM's key management routes. A key is shown once, in the answer that creates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import UNSET

from llmrelay.auth.keys import (
    KEY_PREFIX,
    MAX_KEY_LENGTH,
    display_name,
    generate_key,
    hash_key,
    looks_like_hash,
)
from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import (
    checked_duration,
    conflict,
    int_param,
    limit_fields,
    query,
    read_body,
    send,
    to_micros,
)
from llmrelay.proxy.admin.key_metadata import check_key_metadata
from llmrelay.proxy.admin.key_routes import checked_routes
from llmrelay.proxy.admin.organizations import organization_of_team
from llmrelay.proxy.admin.permissions import check_owner_body
from llmrelay.proxy.admin.schemas import (
    DeleteKeysRequest,
    GenerateKeyRequest,
    KeyRef,
    RegenerateKeyRequest,
    UpdateKeyRequest,
)
from llmrelay.proxy.admin.views import key_view
from llmrelay.proxy.http import Request
from llmrelay.storage.durations import next_reset
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import KeyRecord, KeyUpdate, NewKey, NewUser
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError, PermissionDeniedError

MIN_CUSTOM_KEY_CHARS = 16  # after the sk- prefix


def key_hash_of(value: str) -> str:
    """Admin calls name a key by the key itself or by its hash (`token`), as LiteLLM allows."""
    return value if looks_like_hash(value) else hash_key(value)


class KeyRoutes:
    def __init__(self, storage: Storage, audit: AuditTrail, is_master: Callable[[str], bool]) -> None:
        self.storage = storage
        self.audit = audit
        # the master key's value is never a virtual key's (compared in constant time)
        self.is_master = is_master

    async def _chosen_key(self, key: str, param: str) -> str:
        """A caller-chosen key value, refused unless well-formed and unlike every key there is (the
        master key and every stored key answer alike: which one it matched is not told)."""
        if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + MIN_CUSTOM_KEY_CHARS:
            raise BadRequestError(
                f"a chosen key must start with {KEY_PREFIX} and be at least 19 characters", param=param
            )
        if len(key) > MAX_KEY_LENGTH:
            raise BadRequestError(f"a chosen key must be at most {MAX_KEY_LENGTH} characters", param=param)
        if not all("!" <= c <= "~" for c in key):
            # a key travels in an HTTP header, and its last characters are stored (key_name)
            raise BadRequestError(
                "a chosen key may hold only visible ASCII characters (no spaces or control characters)",
                param=param,
            )
        if self.is_master(key) or await self.storage.keys.get(hash_key(key)) is not None:
            raise BadRequestError("that key value is taken; choose another", param=param, code="key_taken")
        return key

    async def _owned_key(self, caller: Caller, value: str) -> KeyRecord:
        found = await self.storage.keys.get(key_hash_of(value))
        # a key the caller may not manage is reported as missing: its existence is not theirs to learn
        if found is None or not caller.may_manage(found.user_id):
            raise NotFoundError("key not found", code="key_not_found")
        return found

    async def generate(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, GenerateKeyRequest)
        check_owner_body(caller, "/key/generate", body, creating=True)
        check_key_metadata(body.metadata)
        if not caller.is_admin:
            me = caller.require_user("creating a key")
            if body.user_id not in (None, me):
                raise PermissionDeniedError(
                    "a key you make is yours: user_id may only name you", param="user_id", code="not_owner"
                )
            body.user_id = me
        if body.organization_id is not None:
            # a 400 naming the field, not the database's reference conflict
            await organization_of_team(self.storage, body.organization_id)
        key = await self._chosen_key(body.key, "key") if body.key is not None else generate_key()
        now = self.storage.keys.clock()
        duration = checked_duration(body.duration, "duration")
        new = NewKey(
            key_hash=hash_key(key),
            key_name=display_name(key),
            key_alias=body.key_alias,
            user_id=body.user_id,
            team_id=body.team_id,
            organization_id=body.organization_id,
            models=body.models,
            expires=next_reset(duration, now) if duration else None,
            metadata=body.metadata,
            tags=body.tags,
            blocked=body.blocked,
            allowed_routes=checked_routes(body.allowed_routes) or None,
            created_by=caller.user_id or ("master" if caller.is_admin else None),
            **limit_fields(body, now, creating=True),
        )
        try:
            if body.user_id is not None and await self.storage.users.get(body.user_id) is None:
                # LiteLLM creates the user a key names; so do we
                await self.storage.users.create(NewUser(user_id=body.user_id))
            record = await self.storage.keys.create(new)
        except StorageConflict as exc:
            raise conflict(exc) from None
        view = key_view(record)
        await self.audit.record(req, caller, "created", "key", record.key_hash, after=view)
        send(req, {"key": key, **view})

    async def update(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, UpdateKeyRequest)
        record = await self._owned_key(caller, body.key)
        check_owner_body(caller, "/key/update", body)
        if body.metadata is not UNSET:
            check_key_metadata(body.metadata)
        changes: dict[str, Any] = {}
        if body.allowed_routes is not UNSET:
            changes["allowed_routes"] = checked_routes(body.allowed_routes or []) or None
        for name in ("key_alias", "models", "metadata", "tags", "blocked", "user_id", "team_id"):
            value = getattr(body, name)
            if value is not UNSET:
                changes[name] = value
        now = self.storage.keys.clock()
        if body.duration is not UNSET:
            duration = checked_duration(body.duration, "duration")
            changes["expires"] = next_reset(duration, now) if duration else None
        if body.spend is not UNSET:
            changes["spend_micros"] = to_micros(body.spend, "spend")
        changes |= limit_fields(body, now, creating=False)
        try:
            updated = await self.storage.keys.update(record.key_hash, KeyUpdate(**changes))
        except StorageConflict as exc:
            raise conflict(exc) from None
        if updated is None:
            raise NotFoundError("key not found", code="key_not_found")
        view = key_view(updated)
        await self.audit.record(
            req, caller, "updated", "key", record.key_hash, before=key_view(record), after=view
        )
        send(req, view)

    async def info(self, req: Request, caller: Caller) -> None:
        value = query(req).get("key")
        if not value:
            raise BadRequestError("pass ?key=<key or token>", param="key")
        record = await self._owned_key(caller, value)
        send(req, {"key": record.key_hash, "info": key_view(record)})

    async def list_keys(self, req: Request, caller: Caller) -> None:
        params = query(req)
        page, size = int_param(params, "page", 1, high=10**6), int_param(params, "size", 10)
        user_id = params.get("user_id")
        if not caller.is_admin:
            user_id = caller.require_user("listing keys")
        keys = await self.storage.keys.list_keys(
            user_id=user_id,
            team_id=params.get("team_id"),
            organization_id=params.get("organization_id"),
            key_alias=params.get("key_alias"),
            limit=size + 1,
            offset=(page - 1) * size,
        )
        full = params.get("return_full_object", "false").lower() == "true"
        shown = keys[:size]
        send(
            req,
            {
                "keys": [key_view(k) if full else k.key_hash for k in shown],
                "current_page": page,
                "has_more": len(keys) > size,
            },
        )

    async def delete(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, DeleteKeysRequest)
        check_owner_body(caller, "/key/delete", body)
        records = [await self._owned_key(caller, value) for value in body.keys]
        for alias in body.key_aliases:
            found = await self.storage.keys.get_by_alias(alias)
            if found is None or not caller.may_manage(found.user_id):
                raise NotFoundError(f"no key with alias {alias!r}", code="key_not_found")
            records.append(found)
        deleted = await self.storage.keys.delete([r.key_hash for r in records])
        gone = set(deleted)
        await self.audit.record_many(
            req, caller, "deleted", "key",
            [(r.key_hash, key_view(r), None) for r in records if r.key_hash in gone],
        )  # fmt: skip
        send(req, {"deleted_keys": deleted})

    async def regenerate(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, RegenerateKeyRequest)
        record = await self._owned_key(caller, body.key)
        check_owner_body(caller, "/key/regenerate", body)
        key = await self._chosen_key(body.new_key, "new_key") if body.new_key is not None else generate_key()
        try:
            renewed = await self.storage.keys.regenerate(record.key_hash, hash_key(key), display_name(key))
        except StorageConflict as exc:  # the chosen value was taken since the check above
            raise conflict(exc) from None
        if renewed is None:
            raise NotFoundError("key not found", code="key_not_found")
        view = key_view(renewed)
        await self.audit.record(
            req, caller, "regenerated", "key", renewed.key_hash, before=key_view(record), after=view
        )
        send(req, {"key": key, **view})

    async def block(self, req: Request, caller: Caller) -> None:
        await self._set_blocked(req, caller, True)

    async def unblock(self, req: Request, caller: Caller) -> None:
        await self._set_blocked(req, caller, False)

    async def _set_blocked(self, req: Request, caller: Caller, blocked: bool) -> None:
        caller.require_admin("blocking keys")
        body = await read_body(req, KeyRef)
        key_hash = key_hash_of(body.key)
        before = await self.storage.keys.get(key_hash) if self.audit.enabled else None
        updated = await self.storage.keys.set_blocked(key_hash, blocked)
        if updated is None:
            raise NotFoundError("key not found", code="key_not_found")
        view = key_view(updated)
        action = "blocked" if blocked else "unblocked"
        before_view = key_view(before) if before is not None else None
        await self.audit.record(req, caller, action, "key", key_hash, before=before_view, after=view)
        send(req, view)
