"""`ResponseCache`: decides whether a call uses the cache, reads answers, stores them off the
caller's path. A cache that fails (Redis down) is a miss, logged, never the caller's error."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec

from llmrelay.cache.controls import CacheControls
from llmrelay.cache.keys import cache_key
from llmrelay.cache.settings import CacheSettings
from llmrelay.cache.stores import CacheStore, MemoryStore, RedisStore
from llmrelay.calls.served import Served, attach_served

log = logging.getLogger("llmrelay.cache")


class CachePlan(msgspec.Struct, frozen=True):
    key: str
    read: bool
    write: bool
    ttl: float
    max_age: float | None


class Origin(msgspec.Struct, frozen=True, omit_defaults=True):
    """Where a kept answer first came from: what a hit still reports (its headers say so). Stored
    as the object of the names that are set, as it always was: entries written before read the same."""

    model: str | None = None
    provider: str | None = None
    deployment_id: str | None = None
    model_group: str | None = None


class CachedAnswer(msgspec.Struct, frozen=True):
    params: Origin
    body: msgspec.Raw


_encode = msgspec.json.Encoder().encode
_decode_envelope = msgspec.json.Decoder(CachedAnswer).decode


class ResponseCache:
    def __init__(self, settings: CacheSettings, store: CacheStore | None = None) -> None:
        self.settings = settings
        if store is None:
            if settings.type == "redis":
                assert settings.redis_url is not None
                store = RedisStore(settings.redis_url)
            else:
                store = MemoryStore(settings.max_entries)
        self.store = store
        self._failures: tuple[type[BaseException], ...] = (OSError, TimeoutError)
        if settings.type == "redis":
            from redis.exceptions import RedisError

            self._failures += (RedisError,)
        self.hits = 0
        self.misses = 0
        self.failures = 0
        self._writes: set[asyncio.Task[None]] = set()

    def plan(self, kind: str, request: msgspec.Struct, controls: CacheControls) -> CachePlan | None:
        """How this call uses the cache, or None when it does not."""
        settings = self.settings
        if kind not in settings.kinds or controls.use_cache is False:
            return None
        if settings.mode == "default_off" and not controls.use_cache:
            return None
        ttl = settings.ttl if controls.ttl is None else controls.ttl
        return CachePlan(
            key=cache_key(kind, request, controls.namespace or settings.namespace),
            read=not controls.no_cache,
            write=not controls.no_store and ttl > 0,
            ttl=ttl,
            max_age=controls.s_maxage,
        )

    async def lookup(self, plan: CachePlan, answer_type: type[msgspec.Struct]) -> Any | None:
        """The cached answer (its Served record saying it is a hit, costing nothing), or None."""
        if not plan.read:
            return None
        try:
            found = await self.store.get(plan.key)
        except self._failures as exc:
            self._failed("read", exc)
            return None
        if found is None or (plan.max_age is not None and time.time() - found[1] > plan.max_age):
            self.misses += 1
            return None
        try:
            envelope = _decode_envelope(found[0])
            answer = msgspec.json.decode(envelope.body, type=answer_type)
        except msgspec.DecodeError as exc:  # another version's or a damaged value: a miss, replaced on store
            self._failed("decode", exc)
            return None
        self.hits += 1
        kept = envelope.params
        served = Served(
            provider=kept.provider, model=kept.model, deployment_id=kept.deployment_id,
            model_group=kept.model_group, cache_hit=True, cache_key=plan.key,
        )  # fmt: skip
        attach_served(answer, served)  # no attempt was made, and it costs nothing
        return answer

    def keep(self, plan: CachePlan, answer: msgspec.Struct, served: Served) -> None:
        """Store `answer` in the background: the caller's answer never waits for the cache."""
        if not plan.write:
            return
        body = _encode(answer)
        if len(body) > self.settings.max_item_bytes:
            return
        kept = Origin(served.model, served.provider, served.deployment_id, served.model_group)
        value = _encode(CachedAnswer(params=kept, body=msgspec.Raw(body)))
        task = asyncio.get_running_loop().create_task(self._store(plan, value))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _store(self, plan: CachePlan, value: bytes) -> None:
        try:
            await self.store.set(plan.key, value, plan.ttl)
        except self._failures as exc:
            self._failed("write", exc)

    def _failed(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        if self.failures == 1 or self.failures % 1000 == 0:
            log.warning("response cache %s failed (%s); %d failures so far", what, type(exc).__name__,
                        self.failures)  # fmt: skip

    async def aclose(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes)
        await self.store.aclose()
