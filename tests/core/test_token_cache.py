"""The engine's token cache: one fetch per credential while the token is good, a refresh shortly before
it expires (fake clocks, no sleeps), one refresh shared by concurrent calls, failures not remembered,
and a caller that gives up not cancelling the refresh the others wait for."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest

from llmrelay.core.credentials import TokenCache
from llmrelay.providers.grants import AccessToken, Blocking, Fetch, FlowSteps
from llmrelay.types.errors import APIConnectionError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse


@dataclass
class Grant:
    cache_key: str = "grant-a"
    issued_at: list[float] = field(default_factory=list)

    def token_request(self, now: float) -> HttpRequest:
        self.issued_at.append(now)
        return HttpRequest(url="https://token.test/", headers={}, body=self.cache_key.encode())

    def parse_token(self, response: HttpResponse) -> AccessToken:
        data = json.loads(response.body)
        return AccessToken(token=data["token"], expires_in=data.get("expires_in"))


class Upstream:
    """A token endpoint: numbered tokens, an optional gate to hold answers, scripted failures."""

    def __init__(self, expires_in: float | None = 3600) -> None:
        self.expires_in = expires_in
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.failures = 0
        self.asked = asyncio.Event()

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        self.calls += 1
        self.asked.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise APIConnectionError("token endpoint unreachable")
        body = {"token": f"tok-{self.calls}", "expires_in": self.expires_in}
        return HttpResponse(status=200, body=json.dumps(body).encode())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache(upstream: Upstream, clock: Clock, margin: float = 120.0) -> TokenCache:
    return TokenCache(upstream.send, margin=margin, clock=clock, wall_clock=lambda: 1_790_000_000.0)


async def test_token_is_fetched_once_and_reused_until_shortly_before_expiry() -> None:
    upstream, clock = Upstream(expires_in=3600), Clock()
    tokens, grant = cache(upstream, clock), Grant()
    assert await tokens.token(grant) == ("tok-1", True)
    clock.now += 3600 - 120 - 1
    assert await tokens.token(grant) == ("tok-1", False)
    assert upstream.calls == 1
    clock.now += 2  # within the margin: refreshed before it runs out
    assert await tokens.token(grant) == ("tok-2", True)
    assert await tokens.token(grant) == ("tok-2", False)
    assert upstream.calls == 2
    assert grant.issued_at == [1_790_000_000.0, 1_790_000_000.0]  # assertions signed at wall-clock time


async def test_short_lived_tokens_refresh_at_half_life_and_unknown_expiry_never() -> None:
    upstream, clock = Upstream(expires_in=100), Clock()
    tokens, grant = cache(upstream, clock), Grant()
    await tokens.token(grant)
    clock.now += 49
    assert (await tokens.token(grant))[0] == "tok-1"
    clock.now += 2
    assert (await tokens.token(grant))[0] == "tok-2"
    forever = Upstream(expires_in=None)
    tokens = cache(forever, clock)
    await tokens.token(grant)
    clock.now += 10**7
    assert await tokens.token(grant) == ("tok-1", False)


async def test_tokens_are_kept_per_credential() -> None:
    upstream, clock = Upstream(), Clock()
    tokens = cache(upstream, clock)
    assert (await tokens.token(Grant("a")))[0] == "tok-1"
    assert (await tokens.token(Grant("b")))[0] == "tok-2"
    assert (await tokens.token(Grant("a")))[0] == "tok-1"


async def test_concurrent_calls_share_one_refresh() -> None:
    upstream, clock = Upstream(), Clock()
    upstream.gate = asyncio.Event()
    tokens, grant = cache(upstream, clock), Grant()
    waiters = [asyncio.create_task(tokens.token(grant)) for _ in range(20)]
    await upstream.asked.wait()  # every waiter has joined the refresh by then (they start in order)
    upstream.gate.set()
    results = await asyncio.gather(*waiters)
    assert upstream.calls == 1
    assert {token for token, _ in results} == {"tok-1"}


async def test_a_failed_refresh_reaches_every_waiter_and_is_not_remembered() -> None:
    upstream, clock = Upstream(), Clock()
    upstream.gate, upstream.failures = asyncio.Event(), 1
    tokens, grant = cache(upstream, clock), Grant()
    waiters = [asyncio.create_task(tokens.token(grant)) for _ in range(3)]
    await upstream.asked.wait()
    upstream.gate.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(o, APIConnectionError) for o in outcomes) and upstream.calls == 1
    assert await tokens.token(grant) == ("tok-2", True)


async def test_a_caller_giving_up_does_not_cancel_the_shared_refresh() -> None:
    upstream, clock = Upstream(), Clock()
    upstream.gate = asyncio.Event()
    tokens, grant = cache(upstream, clock), Grant()
    impatient = asyncio.create_task(tokens.token(grant))
    patient = asyncio.create_task(tokens.token(grant))
    await upstream.asked.wait()
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    upstream.gate.set()
    assert await patient == ("tok-1", True)
    assert upstream.calls == 1


async def test_invalidate_forgets_only_the_refused_token() -> None:
    upstream, clock = Upstream(), Clock()
    tokens, grant = cache(upstream, clock), Grant()
    await tokens.token(grant)
    tokens.invalidate(grant, "tok-0")  # an older token: the cached one stays
    assert await tokens.token(grant) == ("tok-1", False)
    tokens.invalidate(grant, "tok-1")
    assert await tokens.token(grant) == ("tok-2", True)


@dataclass
class Flow:
    """A credential flow: a file read, then an endpoint that may fail, then a fallback endpoint."""

    cache_key: str = "flow-a"
    seen: list[str] = field(default_factory=list)

    def flow(self, now: float) -> FlowSteps:
        read = yield Blocking(lambda: b"token-from-file")
        self.seen.append(f"read {read!r}")
        try:
            yield Fetch(HttpRequest(url="https://first.test/", headers={}, method="GET"), timeout=1.0)
        except APIConnectionError as exc:
            self.seen.append(f"thrown {exc.message}")
        answer = yield Fetch(HttpRequest(url="https://second.test/", headers={}, method="GET"), timeout=5.0)
        assert isinstance(answer, HttpResponse)
        return AccessToken(token=json.loads(answer.body)["token"], expires_in=600)


async def test_a_flow_runs_its_steps_and_a_failed_step_is_thrown_into_it() -> None:
    upstream = Upstream()
    upstream.failures = 1
    timeouts: list[float] = []

    async def send(request: HttpRequest, timeout: float) -> HttpResponse:
        timeouts.append(timeout)
        return await upstream.send(request, timeout)

    flow = Flow()
    token, fresh = await TokenCache(send, clock=Clock()).token(flow)
    assert (token, fresh) == ("tok-2", True)
    assert flow.seen == ["read b'token-from-file'", "thrown token endpoint unreachable"]
    assert timeouts == [1.0, 5.0]  # each step's own timeout, within the refresh's


async def test_a_flow_past_its_time_is_a_timeout() -> None:
    clock = Clock()

    async def slow(request: HttpRequest, timeout: float) -> HttpResponse:
        clock.now += 31  # past TOKEN_TIMEOUT before the next step
        raise APIConnectionError("no answer")

    with pytest.raises(Timeout, match="not fetched within"):
        await TokenCache(slow, clock=clock).token(Flow())


async def test_a_call_near_expiry_renews_in_the_background_without_waiting() -> None:
    """In the margin before refresh_at, a call gets the cached token at once and the refresh runs off
    its path (shared with any call that then needs it); the next calls get the renewed token."""
    upstream, clock = Upstream(expires_in=3600), Clock()
    tokens, grant = cache(upstream, clock), Grant()
    assert await tokens.token(grant) == ("tok-1", True)
    upstream.gate = asyncio.Event()  # the token endpoint holds its answer
    upstream.asked.clear()
    clock.now += 3600 - 2 * 120 + 1  # past renew_at, before refresh_at
    assert await tokens.token(grant) == ("tok-1", False)
    await upstream.asked.wait()  # the background refresh asked for a token...
    assert await tokens.token(grant) == ("tok-1", False)  # ...while calls keep the cached one
    assert upstream.calls == 2
    upstream.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert await tokens.token(grant) == ("tok-2", False)
    assert upstream.calls == 2


async def test_a_failed_background_renewal_is_logged_and_the_token_still_serves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream, clock = Upstream(expires_in=3600), Clock()
    tokens, grant = cache(upstream, clock), Grant()
    await tokens.token(grant)
    upstream.failures = 1
    clock.now += 3600 - 2 * 120 + 1
    assert await tokens.token(grant) == ("tok-1", False)
    for _ in range(5):
        await asyncio.sleep(0)
    assert "background token refresh failed" in caplog.text
    assert await tokens.token(grant) == ("tok-1", False)  # renewed again in the background
    for _ in range(5):
        await asyncio.sleep(0)
    assert await tokens.token(grant) == ("tok-3", False)
