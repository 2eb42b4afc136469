"""The SDK Client's calls through the router's CallRunner.

Each call is a model group of one deployment, resolved per call from its model string and
credentials (sdk/keywords.py), so an SDK call gets what a Router call gets — the runner's attempt
loop, its retries and backoff, its bookkeeping and one CallTrace → one CallRecord — by the same
code. What the SDK leaves out, and why:

- cooldowns: a group of one has no other deployment to send the next call to; cooling it would only
  turn the caller's next call into a 503 (an SDK call always reaches its provider);
- fallbacks between groups: the SDK's `fallbacks=[...]` are per-call keywords, each a call of its
  own (core/controls.py), as in LiteLLM;
- limits and reservations: an SDK deployment carries none."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from llmrelay.core.litellm_view import with_hidden_params
from llmrelay.core.retry import Backoff
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.engine import Engine
from llmrelay.router.groups import ModelGroups
from llmrelay.router.picking import Pick, Picker
from llmrelay.router.policy import FallbackPolicy, RetryPolicy
from llmrelay.router.records import CallReporter, CallTrace
from llmrelay.router.run_settings import CallOptions, CooldownSettings, Timing
from llmrelay.router.runner import CallRunner
from llmrelay.router.shared import open_backends
from llmrelay.sdk.keywords import SdkCall
from llmrelay.sdk.mock_attempt import MockAttempt
from llmrelay.types.errors import LLMError


class SdkRunner:
    """One per Client: the CallRunner its calls share (its pending bookkeeping is drained on flush)."""

    def __init__(self, engine: Engine, reporter: CallReporter, backoff: Backoff) -> None:
        # in this process only, and never written: nothing is cooled, reserved or measured
        backends = open_backends(None, "")
        rng = random.Random()
        picker = Picker(
            strategy="simple-shuffle", state=backends.state, limiter=backends.limiter,
            catalog=engine.catalog, registry=engine.registry, rng=rng, clock=time.time,
            latency_buffer=0.5, latency_ttl=60.0, pre_call_checks=False,
        )  # fmt: skip
        self.engine = engine
        self.runner = CallRunner(
            engine=engine, groups=ModelGroups(()), picker=picker, state=backends.state,
            limiter=backends.limiter, reporter=reporter,
            # the per-call (or client-wide) num_retries decides; the router's per-class table is empty
            retry=RetryPolicy(), fallbacks=FallbackPolicy(),
            cooldowns=CooldownSettings(disabled=True), timing=_timing(backoff),
            clock=time.time, sleep=_sleep, rng=rng,
        )  # fmt: skip

    @property
    def backoff(self) -> Backoff:
        timing = self.runner.timing
        return Backoff(timing.backoff_base, timing.backoff_cap)

    @backoff.setter
    def backoff(self, backoff: Backoff) -> None:
        self.runner.timing = _timing(backoff)

    async def run(
        self,
        sdk_call: SdkCall,
        call_id: str,
        *,
        num_retries: int,
        timeout: float | None,
        drop_params: bool,
    ) -> Any:
        """One call, with the client's defaults for what the call leaves unset: a whole answer
        (reported now), or a stream (reported when it ends)."""
        call, target = sdk_call.call, sdk_call.target
        operation, request, context = call.operation, call.request, call.context
        model: str = request.model
        stream = call.stream
        trace = CallTrace(operation.call_type, model, request, context, stream, call_id)
        options = CallOptions(
            timeout=timeout if context.timeout is None else context.timeout,
            stream_timeouts=context.stream_timeouts,
            # a mock answers as it was told: retrying it could only repeat it
            num_retries=0 if sdk_call.mock is not None else _first(context.num_retries, num_retries),
            drop_params=drop_params if context.drop_params is None else context.drop_params,
        )
        group = target.group(stream)
        runner, engine = self.runner, self.engine
        mock = MockAttempt(sdk_call.mock, request, engine, trace) if sdk_call.mock is not None else None
        try:
            if stream:

                async def open_stream(pick: Pick) -> ChatStream | TextStream:
                    if mock is not None:
                        return await runner.open_stream(trace, pick, lambda: mock.stream(pick.target))
                    return await runner.open_stream(
                        trace, pick, lambda: engine.open_stream(
                            operation, request, pick.target, drop_params=options.drop_params,
                            timeout=runner.timeout_for(pick, options),
                            stream_timeouts=runner.stream_timeouts_for(pick, options),
                        ),
                    )  # fmt: skip

                answer, _ = await runner.route_reported(trace, group, options, open_stream)
                return with_hidden_params(answer)

            async def send(pick: Pick) -> Any:
                if mock is not None:
                    return mock.answer(pick.target)
                return await engine.answer(
                    operation, request, pick.target, drop_params=options.drop_params,
                    timeout=runner.timeout_for(pick, options),
                )  # fmt: skip

            answer = await runner.route_answer(trace, group, options, send, operation.usage)
            return with_hidden_params(answer)
        except LLMError as exc:
            if mock is not None:
                mock.reraise(exc)
            raise

    async def drain(self) -> None:
        """Wait for the bookkeeping of ended streams (a failed stream is reported from a task)."""
        await self.runner.drain()


def _timing(backoff: Backoff) -> Timing:
    return Timing(backoff_base=backoff.base, backoff_cap=backoff.cap)


async def _sleep(seconds: float) -> None:
    # looked up per call, not bound at construction: tests that replace asyncio.sleep see the waits
    await asyncio.sleep(seconds)


def _first(value: int | None, default: int) -> int:
    return default if value is None else value
