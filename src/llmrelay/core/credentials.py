"""The engine's token cache: runs the token grants adapters declare (llmrelay.providers.grants) —
a token exchange over the engine's transport, or a load of local credentials in a worker thread (it
may block on file I/O, and the event loop must never wait on a disk).

A token is kept per grant `cache_key` until `margin` seconds before it expires. A call in the
`margin` before that (`renew_at`) still gets the cached token and starts a refresh in the background,
so a busy credential is renewed off the request path; only a call that finds no usable token (the
first, or one after a quiet spell) waits for a refresh. Concurrent calls that find no usable token
share one refresh: the first starts it as a task, the others await the same task (shielded, so one
caller giving up does not cancel the refresh for the rest); a background refresh is that same task.
A refresh that fails is not remembered: the next call tries again (a failed background refresh is
logged, and the cached token serves until its `refresh_at`).

Expiry is kept on the monotonic clock; the wall clock is only handed to grants for the issue time of
the assertions they sign. Both clocks are injectable for tests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from llmrelay.providers.grants import (
    AccessToken,
    Blocking,
    Credential,
    CredentialFlow,
    Fetch,
    LocalGrant,
    TokenExchange,
    TokenGrant,
)
from llmrelay.types.errors import LLMError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

# refresh this long before a token runs out, so a call never leaves with a token about to expire
DEFAULT_MARGIN = 120.0
# a token endpoint that takes longer than this is treated as down (the call's own timeout also applies)
TOKEN_TIMEOUT = 30.0

Send = Callable[[HttpRequest, float], Awaitable[HttpResponse]]
_log = logging.getLogger("llmrelay.core")


@dataclass(frozen=True, slots=True)
class _Cached:
    token: Credential
    # monotonic time after which the token is not handed out any more (None: no known expiry)
    refresh_at: float | None
    # monotonic time after which a call starts a refresh in the background (None: never)
    renew_at: float | None = None

    def __repr__(self) -> str:
        return f"_Cached(refresh_at={self.refresh_at!r}, renew_at={self.renew_at!r})"


class TokenCache:
    """Access tokens per credential, for one engine (two clients never share tokens)."""

    def __init__(
        self,
        send: Send,
        *,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._send = send
        self._margin = margin
        self._clock = clock
        self._wall_clock = wall_clock
        self._tokens: dict[str, _Cached] = {}
        # refreshes in flight, per key; a task belongs to the loop that started it
        self._refreshing: dict[str, asyncio.Task[_Cached]] = {}

    async def token(self, grant: TokenGrant, timeout: float | None = None) -> tuple[Credential, bool]:
        """(token, fresh): a cached token while it is good, else one from a (shared) refresh.
        `fresh` says the token was fetched for this call, so a rejection of it is not staleness."""
        key = grant.cache_key
        cached = self._tokens.get(key)
        now = self._clock()
        if cached is not None and (cached.refresh_at is None or now < cached.refresh_at):
            if cached.renew_at is not None and now >= cached.renew_at:
                self._start_refresh(grant, timeout).add_done_callback(_log_background_failure)
            return cached.token, False
        fetched = await asyncio.shield(self._start_refresh(grant, timeout))
        return fetched.token, True

    def _start_refresh(self, grant: TokenGrant, timeout: float | None) -> asyncio.Task[_Cached]:
        """The refresh in flight for this credential, or a new one (one per credential at a time)."""
        key = grant.cache_key
        task = self._refreshing.get(key)
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._refresh(grant, timeout))
            self._refreshing[key] = task
        return task

    def invalidate(self, grant: TokenGrant, token: Credential) -> None:
        """Forget `token` (the upstream refused it before its time): the next call refreshes. A newer
        token another call has already fetched is kept."""
        cached = self._tokens.get(grant.cache_key)
        if cached is not None and cached.token == token:
            del self._tokens[grant.cache_key]

    async def _refresh(self, grant: TokenGrant, timeout: float | None) -> _Cached:
        key = grant.cache_key
        try:
            started = self._clock()
            limit = TOKEN_TIMEOUT if timeout is None else min(timeout, TOKEN_TIMEOUT)
            if isinstance(grant, LocalGrant):
                issued = await self._load(grant, limit)
            elif isinstance(grant, CredentialFlow):
                issued = await self._run_flow(grant, limit)
            else:
                issued = await self._exchange(grant, limit)
            refresh_at = renew_at = None
            if issued.expires_in is not None:
                # counted from when the request left: the token was issued no earlier than that
                margin = min(self._margin, issued.expires_in / 2)
                refresh_at = started + issued.expires_in - margin
                # one margin earlier, calls start renewing it in the background
                renew_at = max(started, refresh_at - margin)
            cached = _Cached(issued.token, refresh_at, renew_at)
            self._tokens[key] = cached
            return cached
        finally:
            if self._refreshing.get(key) is asyncio.current_task():
                del self._refreshing[key]

    @staticmethod
    async def _load(grant: LocalGrant, limit: float) -> AccessToken:
        try:
            async with asyncio.timeout(limit):
                return await asyncio.to_thread(grant.load)
        except TimeoutError as exc:
            # the thread cannot be stopped; the call stops waiting for it
            raise Timeout(f"local credentials were not read within {limit}s") from exc

    async def _run_flow(self, grant: CredentialFlow, limit: float) -> AccessToken:
        """Run a flow's steps in order: HTTP over the engine's transport, blocking steps in a worker
        thread. A step's failure is thrown into the flow, which may go on to its next source."""
        steps = grant.flow(self._wall_clock())
        deadline = self._clock() + limit
        answer: object = None
        failure: BaseException | None = None
        while True:
            try:
                step = steps.send(answer) if failure is None else steps.throw(failure)
            except StopIteration as done:
                issued: AccessToken = done.value
                return issued
            answer, failure = None, None
            remaining = deadline - self._clock()
            if remaining <= 0:
                steps.close()
                raise Timeout(f"credentials were not fetched within {limit}s")
            try:
                if isinstance(step, Fetch):
                    answer = await self._send(step.request, min(step.timeout, remaining))
                else:
                    answer = await self._blocking(step, remaining)
            except (LLMError, OSError, ValueError) as exc:
                failure = exc

    @staticmethod
    async def _blocking(step: Blocking, limit: float) -> object:
        try:
            async with asyncio.timeout(limit):
                return await asyncio.to_thread(step.run)
        except TimeoutError as exc:
            raise Timeout(f"local credentials were not read within {limit}s") from exc

    async def _exchange(self, grant: TokenExchange, limit: float) -> AccessToken:
        response = await self._send(grant.token_request(self._wall_clock()), limit)
        return grant.parse_token(response)


def _log_background_failure(task: asyncio.Task[_Cached]) -> None:
    """A background refresh that failed: said in the log (the error names no secret), and the cached
    token serves until its refresh_at, when a call refreshes on its own path and sees the error."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _log.warning("background token refresh failed (the cached token still serves): %s", error)
