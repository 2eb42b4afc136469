"""One logical call through the router: attempts with retries inside a model group, then fallback
groups in order; bookkeeping after each attempt (limits settled, failures counted, cooldowns set,
latency averaged) and one CallRecord at the end."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import msgspec

from llmrelay.calls.context import EndUserRouting, StreamTimeouts
from llmrelay.calls.served import NOT_SERVED, Served
from llmrelay.core.retry import backoff_delay
from llmrelay.engine import Engine
from llmrelay.limits.base import Limiter
from llmrelay.router.groups import ModelGroups
from llmrelay.router.picking import Pick, Picker, PickRequest
from llmrelay.router.policy import FallbackPolicy, RetryPolicy, cooldown_action
from llmrelay.router.records import CallReporter, CallTrace
from llmrelay.router.regions import in_region
from llmrelay.router.run_settings import CallOptions, CooldownSettings, RoutedStream, Timing
from llmrelay.router.state import Cooldown, RouterState
from llmrelay.types.errors import LLMError, StreamClosedEarly
from llmrelay.types.response import Usage

T = TypeVar("T")
Answer = TypeVar("Answer", bound=msgspec.Struct)


Stream = TypeVar("Stream", bound=RoutedStream)
Attempt = Callable[[Pick], Awaitable[T]]


class CallRunner:
    def __init__(
        self,
        *,
        engine: Engine,
        groups: ModelGroups,
        picker: Picker,
        state: RouterState,
        limiter: Limiter,
        reporter: CallReporter,
        retry: RetryPolicy,
        fallbacks: FallbackPolicy,
        cooldowns: CooldownSettings,
        timing: Timing,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
        latency_alpha: float = 0.3,
    ) -> None:
        self.engine = engine
        self.groups = groups
        self.picker = picker
        self.state = state
        self.limiter = limiter
        self.reporter = reporter
        self.retry = retry
        self.fallbacks = fallbacks
        self.cooldowns = cooldowns
        self.timing = timing
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.latency_alpha = latency_alpha
        self.last_errors: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- the route: group → retries → fallbacks
    async def route(
        self, trace: CallTrace, call: PickRequest, options: CallOptions, attempt: Attempt[T]
    ) -> tuple[T, Pick]:
        if call.routing is not None:
            call = self._default_model_for(call, call.routing)
        first = call.model
        try:
            return await self._in_group(trace, first, call, options, attempt)
        except LLMError as exc:
            error = exc
        for group in self.fallbacks.groups_for(self.groups.group_name(first), error):
            trace.fallback_from = first
            try:
                return await self._in_group(
                    trace, group, PickRequest(group, call.tags, call.stream, call.estimate_tokens,
                                              call.chat, call.lease, call.routing), options, attempt,
                )  # fmt: skip
            except LLMError as exc:
                error = exc
        raise error

    def _default_model_for(self, call: PickRequest, routing: EndUserRouting) -> PickRequest:
        """LiteLLM's end-user `default_model`: when the asked group has no deployment in the end
        user's region, the call goes to the default model instead (kept to the region as well)."""
        default = routing.default_model
        if default is None or default == call.model:
            return call
        deployments = self.groups.of(self.groups.group_name(call.model))
        if not deployments or any(d.region == routing.region for d in deployments):
            return call  # an unknown model stays a 404
        return dataclasses.replace(call, model=default)

    async def _in_group(
        self, trace: CallTrace, model: str, call: PickRequest, options: CallOptions, attempt: Attempt[T]
    ) -> tuple[T, Pick]:
        if call.deployments is not None:  # a group the caller resolved (the SDK Client's)
            group, deployments = model, list(call.deployments)
        else:
            group, deployments = self.groups.resolve(model)
        if call.routing is not None:
            # before the first pick, so retries, their backoff and fallbacks see only the region
            deployments = in_region(group, deployments, call.routing)
        tried: set[str] = set()
        retries_done = 0
        sole = self._sole_pick(call)
        while True:
            pick = sole or await self.picker.pick(group, deployments, call, tried)
            tried.add(pick.deployment.id)
            trace.attempts += 1
            trace.last_target = pick.target
            try:
                result = await attempt(pick)
            except LLMError as exc:
                await self.attempt_failed(pick, exc)
                allowed = self._retries(exc, options, pick)
                if retries_done >= allowed:
                    raise
                retries_done += 1
                await self.sleep(await self._delay(retries_done, exc, deployments, tried))
                continue
            return result, pick

    def _sole_pick(self, call: PickRequest) -> Pick | None:
        """The pick of every attempt when the caller resolved a group of one (the SDK Client's) and
        nothing can keep its deployment out: no cooldowns, no limits to reserve, no region. There is
        nothing to choose then, and the picker's state need not be read."""
        given = call.deployments
        if given is None or len(given) != 1 or not self.cooldowns.disabled or call.routing is not None:
            return None
        only = given[0]
        if self.picker.needs_reservation(only):
            return None
        return Pick(only, only.for_model(call.model, self.picker.registry, self.picker.catalog), None)

    async def route_reported(
        self, trace: CallTrace, call: PickRequest, options: CallOptions, attempt: Attempt[T]
    ) -> tuple[T, Pick]:
        """`route`, and a call that fails for good is reported (a stream reports its own end)."""
        try:
            return await self.route(trace, call, options, attempt)
        except LLMError as exc:
            self.reporter.emit("on_failure", trace, trace.last_target, error=exc)
            raise

    async def route_answer(
        self,
        trace: CallTrace,
        call: PickRequest,
        options: CallOptions,
        send: Attempt[Answer],
        usage_of: Callable[[Answer], Usage | None],
    ) -> Answer:
        """Route a call answered in one piece: each attempt timed and booked, the outcome reported."""

        async def attempt(pick: Pick) -> Answer:
            started = time.monotonic()
            result = await send(pick)
            await self.attempt_succeeded(
                pick, usage_of(result), latency=time.monotonic() - started, ttft=None
            )
            return result

        response, pick = await self.route_reported(trace, call, options, attempt)
        cost = _note_routing(response, trace).cost_micros
        if self.reporter.active:
            self.reporter.emit(
                "on_success", trace, pick.target, usage=usage_of(response), cost=cost, response=response,
            )  # fmt: skip
        return response

    def _retries(self, error: LLMError, options: CallOptions, pick: Pick) -> int:
        if options.num_retries is not None:
            return options.num_retries if error.retryable else 0
        return self.retry.retries_for(error, pick.deployment.target.max_retries)

    async def _delay(self, retry: int, error: LLMError, deployments: Any, tried: set[str]) -> float:
        """No backoff when another healthy deployment is there to take the retry; otherwise
        exponential backoff with jitter, or the provider's retry-after when it gave one."""
        live, _ = await self.picker.available(deployments, self.clock())
        if any(d.id not in tried for d in live):
            return self.timing.retry_after
        delay = backoff_delay(
            retry, error, base=self.timing.backoff_base, cap=self.timing.backoff_cap, rng=self.rng
        )
        return max(self.timing.retry_after, delay)

    # ---- bookkeeping
    async def attempt_failed(self, pick: Pick, error: LLMError) -> None:
        deployment = pick.deployment
        self.last_errors[deployment.id] = f"{type(error).__name__}: {error.message}"[:500]
        if pick.reservation is not None:
            await self.limiter.settle(pick.reservation, 0, now=self.clock())
        if self.cooldowns.disabled:
            return
        action = cooldown_action(error, self.cooldowns.auth_cooldown_time)
        now = self.clock()
        if action.kind == "cool":
            fingerprint = deployment.fingerprint if action.reason == "auth" else ""
            cooldown = Cooldown(now + action.seconds, action.reason, fingerprint)
            await self.state.cool(deployment.id, cooldown, now)
            self.picker.seen_cooldowns[deployment.id] = cooldown
        elif action.kind == "count":
            started = await self.state.record_failure(
                deployment.id,
                now,
                window=self.cooldowns.window,
                allowed_fails=self.cooldowns.allowed_fails,
                cooldown_time=self.cooldowns.cooldown_time,
                reason=action.reason or "failures",
            )
            if started is not None:
                self.picker.seen_cooldowns[deployment.id] = started

    async def attempt_succeeded(
        self, pick: Pick, usage: Usage | None, *, latency: float | None, ttft: float | None
    ) -> None:
        self.last_errors.pop(pick.deployment.id, None)
        reservation = pick.reservation
        if reservation is not None:
            actual = usage.total_tokens if usage is not None else None
            if reservation.origin == "redis":
                # a round trip the answer need not wait for (limits/settler.py); `drain` awaits it
                self.spawn(self.limiter.settle(reservation, actual, now=self.clock()))
            else:
                await self.limiter.settle(reservation, actual, now=self.clock())
        if self.picker.strategy == "latency-based-routing":
            await self.state.record_latency(
                pick.deployment.id, latency=latency, ttft=ttft, alpha=self.latency_alpha, now=self.clock()
            )

    # ---- helpers for the call types
    def timeout_for(self, pick: Pick, options: CallOptions) -> float | None:
        if options.timeout is not None:
            return options.timeout
        if pick.target.timeout is not None:
            return pick.target.timeout
        return self.timing.timeout

    def stream_timeouts_for(self, pick: Pick, options: CallOptions) -> StreamTimeouts:
        asked = options.stream_timeouts or StreamTimeouts()
        return StreamTimeouts(
            first_token=_first(asked.first_token, pick.target.stream_timeout, self.timing.stream_first_token),
            between_chunks=_first(
                asked.between_chunks,
                pick.deployment.stream_chunk_timeout,
                self.timing.stream_between_chunks,
            ),
        )

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run bookkeeping off the caller's path; the router keeps the task until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for pending bookkeeping, on whichever loop it runs (the caller's, or the sync
        API's loop thread)."""
        current = asyncio.get_running_loop()
        while self._tasks:
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Task[None]]] = {}
            for task in list(self._tasks):
                by_loop.setdefault(task.get_loop(), []).append(task)
            for loop, tasks in by_loop.items():
                if loop is current:
                    await asyncio.gather(*tasks)
                elif loop.is_closed():
                    self._tasks.difference_update(tasks)
                else:
                    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_gather(tasks), loop))

    # ---- streams
    async def open_stream(
        self, trace: CallTrace, pick: Pick, open_: Callable[[], Awaitable[Stream]]
    ) -> Stream:
        """Open one streaming attempt. Failures before the first chunk raise here (the route
        retries or falls back); the stream's end is booked when it comes, as success or failure.
        The end report is attached only now, so a failed attempt is never booked twice."""
        stream = await open_()
        _note_routing(stream, trace)
        stream.set_on_finish(lambda s, error: self._stream_ended(trace, pick, s, error))
        if pick.reservation is not None:
            # a stream dropped without being read to the end still frees its slot
            weakref.finalize(stream, self._release_abandoned, pick, asyncio.get_running_loop())
        return stream

    def _release_abandoned(self, pick: Pick, loop: asyncio.AbstractEventLoop) -> None:
        reservation = pick.reservation
        if reservation is None or reservation.settled or loop.is_closed():
            return

        def settle() -> None:
            self.spawn(self.limiter.settle(reservation, None, now=self.clock()))

        loop.call_soon_threadsafe(settle)

    def _stream_ended(self, trace: CallTrace, pick: Pick, stream: Any, error: LLMError | None) -> None:
        """A success with nothing to settle or measure is booked and reported at once; anything
        that awaits (a reservation, latency stats, a failure's cooldown) goes to a task."""
        if error is None and pick.reservation is None and self.picker.strategy != "latency-based-routing":
            self.last_errors.pop(pick.deployment.id, None)
            self._report_stream_end(trace, pick, stream, None)
            return
        self.spawn(self._stream_finished(trace, pick, stream, error))

    async def _stream_finished(
        self, trace: CallTrace, pick: Pick, stream: RoutedStream, error: LLMError | None
    ) -> None:
        elapsed = time.monotonic() - stream.started
        if error is None:
            await self.attempt_succeeded(pick, stream.usage, latency=elapsed, ttft=stream.time_to_first_token)
        elif isinstance(error, StreamClosedEarly):
            # the reader left: not the deployment's fault (no cooldown, no latency sample), but
            # the tokens so far count against its limits
            if pick.reservation is not None:
                usage = stream.usage
                actual = usage.total_tokens if usage is not None else None
                await self.limiter.settle(pick.reservation, actual, now=self.clock())
        else:
            await self.attempt_failed(pick, error)
        self._report_stream_end(trace, pick, stream, error)

    def _report_stream_end(self, trace: CallTrace, pick: Pick, stream: Any, error: LLMError | None) -> None:
        if self.reporter.active:
            self.reporter.emit(
                "on_failure" if error else "on_stream_complete",
                trace,
                pick.target,
                usage=stream.usage,
                cost=stream.cost_micros,
                error=error,
                ttft=stream.time_to_first_token,
                response=stream.response() if self.reporter.wants_contents else None,
            )


def _note_routing(answer: object, trace: CallTrace) -> Served:
    """Note what the route did (attempts, the group fallen back from) on the answer's Served record
    (a record of only that for an answer that came with none), and return it."""
    # the attribute served_of reads, read here directly: once per call, on every call's path
    served: Served = getattr(answer, "_served", None) or NOT_SERVED
    served = served.with_routing(max(1, trace.attempts), trace.fallback_from)
    answer._served = served  # type: ignore[attr-defined]
    return served


async def _gather(tasks: list[asyncio.Task[None]]) -> None:
    await asyncio.gather(*tasks)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
