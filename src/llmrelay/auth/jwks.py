"""The identity provider's public keys (JWKS, RFC 7517), fetched off the request path and kept in
memory: fetched at start, again every `public_key_ttl` seconds (a key the provider dropped stops
being trusted then), and once more when a token names a key id not held (a rotation). That refetch
is rate-limited — at most one every `min_refetch_interval` seconds, one at a time — so a flood of
tokens with forged key ids costs the JWKS server one request per interval, not one per token.

A failed fetch keeps the keys held (the provider may be down briefly) and is retried every few
seconds. A JWKS document is bounded: its size (`MAX_JWKS_BYTES`) and its number of keys."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK
from jwt.exceptions import PyJWKError

from llmrelay.transport.http import HttpTransport
from llmrelay.types.errors import LLMError
from llmrelay.types.http import HttpRequest

log = logging.getLogger("llmrelay.auth")

MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS_PER_URL = 64
FETCH_TIMEOUT = 5.0
RETRY_AFTER_FAILURE = 5.0
# the algorithms each key type allows (no "oct": a shared secret is never a public key); an EC key
# allows only its own curve's
_RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_BY_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


@dataclass(frozen=True, slots=True)
class PublicKey:
    key: Any  # the cryptography public key object PyJWT verifies with
    algorithms: frozenset[str]  # what a token signed with it may name as its `alg`


def allowed_algorithms(entry: Mapping[str, Any]) -> frozenset[str]:
    """The signature algorithms a JWK allows: those of its type (and curve), narrowed to its own
    `alg` when it names one."""
    kty = entry.get("kty")
    if kty == "RSA":
        allowed = _RSA
    elif kty == "EC":
        alg = _EC_BY_CURVE.get(entry.get("crv"))  # type: ignore[arg-type]
        allowed = frozenset({alg}) if alg else frozenset()
    elif kty == "OKP" and entry.get("crv") in ("Ed25519", "Ed448"):
        allowed = frozenset({"EdDSA"})
    else:
        allowed = frozenset()
    named = entry.get("alg")
    return allowed & {named} if isinstance(named, str) else allowed


class JwksKeys:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        ttl: float,
        min_refetch_interval: float = 10.0,
        retry_after_failure: float = RETRY_AFTER_FAILURE,
        transport: HttpTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls = tuple(urls)
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self.retry_after_failure = retry_after_failure
        self._transport = transport or HttpTransport(pool_size=8, max_body_bytes=MAX_JWKS_BYTES)
        self._clock = clock
        self._by_kid: dict[str, PublicKey] = {}
        self._without_kid: list[PublicKey] = []
        self._last_fetch = -float("inf")  # the last fetch that got the whole key set
        self._failed = False  # the last fetch failed: retried every retry_after_failure seconds
        self._last_refetch = -float("inf")
        self._refetch: asyncio.Task[bool] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self.fetches = 0  # how many times the key set was fetched (for tests and logs)

    def find(self, kid: str | None) -> PublicKey | None:
        """The key a token names; a token without `kid` may use the only key held."""
        if kid is not None:
            return self._by_kid.get(kid)
        keys = [*self._by_kid.values(), *self._without_kid]
        return keys[0] if len(keys) == 1 else None

    def __len__(self) -> int:
        return len(self._by_kid) + len(self._without_kid)

    async def start(self) -> None:
        await self._fetch_logged()
        self._loop_task = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def stop(self) -> None:
        for task in (self._loop_task, self._refetch):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop_task = self._refetch = None
        await self._transport.aclose()

    def refetch_for_unknown_kid(self) -> asyncio.Task[bool] | None:
        """The fetch a token with an unknown key id may wait for: the one in flight, or a new one if
        none ran in the last `min_refetch_interval` seconds; None when rate-limited."""
        if self._refetch is not None and not self._refetch.done():
            return self._refetch
        # counted apart from the scheduled fetches: a rotation right after one is still picked up
        if self._clock() - self._last_refetch < self.min_refetch_interval:
            return None
        self._last_refetch = self._clock()  # taken now: a burst starts one fetch
        self._refetch = asyncio.get_running_loop().create_task(self._fetch_logged())
        return self._refetch

    async def _refresh_loop(self) -> None:
        while True:
            wait = self.retry_after_failure if self._failed else self.ttl - (self._clock() - self._last_fetch)
            if wait > 0:
                await asyncio.sleep(wait)
                if not self._failed:
                    continue  # a refetch may have renewed the set meanwhile: look again
            await self._fetch_logged()

    async def _fetch_logged(self) -> bool:
        try:
            await self.fetch()
        except (LLMError, ValueError) as exc:
            # the reason names no secret: a status, a size, or what the document lacks
            log.error("JWKS fetch failed (%s); keeping the %d keys held", exc, len(self))
            self._failed = True
            return False
        self._failed = False
        return True

    async def fetch(self) -> None:
        """Fetch every URL; the key set is replaced only when all answered."""
        self.fetches += 1
        by_kid: dict[str, PublicKey] = {}
        without_kid: list[PublicKey] = []
        for url in self.urls:
            request = HttpRequest(url=url, headers={"accept": "application/json"}, method="GET")
            response = await self._transport.send(request, timeout=FETCH_TIMEOUT)
            if response.status != 200:
                raise ValueError(f"{_origin(url)} answered HTTP {response.status}")
            for kid, key in parse_jwks(response.body, _origin(url)):
                if kid is not None:
                    by_kid.setdefault(kid, key)
                else:
                    without_kid.append(key)
        self._by_kid, self._without_kid = by_kid, without_kid
        self._last_fetch = self._clock()


def parse_jwks(body: bytes, where: str) -> list[tuple[str | None, PublicKey]]:
    """The usable public keys of a JWKS document, with their key ids: asymmetric, for signatures.
    Others are skipped."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"{where}: the JWKS is not JSON") from exc
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{where}: the JWKS has no `keys` list")
    if len(entries) > MAX_KEYS_PER_URL:
        raise ValueError(f"{where}: the JWKS has {len(entries)} keys, more than {MAX_KEYS_PER_URL}")
    keys = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        algorithms = allowed_algorithms(entry)
        if not algorithms:  # a shared secret, an unknown curve, or an algorithm its type forbids
            continue
        if entry.get("use", "sig") != "sig" or "d" in entry:  # not for signatures, or a private key
            continue
        kid = entry.get("kid")
        try:
            key = PyJWK(entry).key
        except PyJWKError as exc:
            log.warning("%s: JWKS key %r skipped: %s", where, entry.get("kid"), exc)
            continue
        keys.append((kid if isinstance(kid, str) else None, PublicKey(key, algorithms)))
    return keys


def _origin(url: str) -> str:
    """The URL without its query (which may hold a token) for logs and errors."""
    return url.split("?", 1)[0]
