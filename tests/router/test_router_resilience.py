"""Cooldowns, retry-after, context-window fallbacks, deployment limits, streams that break, and one
CallRecord per logical call."""

from __future__ import annotations

import asyncio

import pytest
from router_upstream import Fault, Upstream, error_body

from llmrelay.router import Router
from llmrelay.types.errors import (
    AuthenticationError,
    InternalServerError,
    LLMError,
    RateLimitError,
    ServiceUnavailableError,
)
from llmrelay.types.response import hidden_params

MESSAGES = [{"role": "user", "content": "hi"}]


def dep(upstream: Upstream, name: str, group: str = "gpt", **params: object) -> dict[str, object]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "sk-test", "api_base": upstream.base(name), **params}
    return {"model_name": group, "litellm_params": params, "model_info": {"id": name}}


async def test_cooldown_starts_after_allowed_fails_and_ends_after_cooldown_time(
    upstream: Upstream, clock
) -> None:
    upstream.fail("a", *[Fault(500)] * 3)
    router = Router(
        model_list=[dep(upstream, "a")], allowed_fails=2, cooldown_time=30, clock=clock, sleep=clock.sleep
    )
    try:
        for _ in range(2):  # within allowed_fails: still in rotation
            with pytest.raises(InternalServerError):
                await router.acompletion(model="gpt", messages=MESSAGES)
        assert router.health()[0]["state"] == "healthy"
        with pytest.raises(InternalServerError):  # the third failure in the window starts the cooldown
            await router.acompletion(model="gpt", messages=MESSAGES)
        health = router.health()[0]
        assert health["state"] == "cooling" and health["cooling_until"] == clock.now + 30
        assert "InternalServerError" in health["last_error"]
        clock.now += 29.9
        with pytest.raises(ServiceUnavailableError) as caught:
            await router.acompletion(model="gpt", messages=MESSAGES)
        assert caught.value.retry_after == pytest.approx(0.1)
        assert upstream.received["a"] == 3  # a cooling deployment is not called
        clock.now += 0.1
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "a"
        assert router.health()[0]["state"] == "healthy"
    finally:
        await router.aclose()


async def test_failures_outside_the_window_do_not_add_up(upstream: Upstream, clock) -> None:
    upstream.fail("a", *[Fault(500)] * 3)
    router = Router(model_list=[dep(upstream, "a")], allowed_fails=1, cooldown_window=60, clock=clock)
    try:
        for _ in range(3):
            with pytest.raises(InternalServerError):
                await router.acompletion(model="gpt", messages=MESSAGES)
            clock.now += 61
        assert router.health()[0]["state"] == "healthy"
    finally:
        await router.aclose()


async def test_retry_after_is_honoured(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(429, error_body("slow down", "rate_limit_error"), {"retry-after": "7"}))
    router = Router(model_list=[dep(upstream, "a")], num_retries=1, clock=clock, sleep=clock.sleep)
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert clock.sleeps == [7.0]  # waited exactly what the provider asked, then retried
        assert hidden_params(response)["attempts"] == 2
    finally:
        await router.aclose()


async def test_429_retry_after_cools_the_deployment_that_long(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(429, error_body("slow down", "rate_limit_error"), {"retry-after": "20"}))
    router = Router(model_list=[dep(upstream, "a"), dep(upstream, "b")], num_retries=1, clock=clock,
                    sleep=clock.sleep, seed=1)  # fmt: skip
    try:
        # whichever deployment answers first, a's 429 sends the retry to b at once (no wait)
        for _ in range(4):
            response = await router.acompletion(model="gpt", messages=MESSAGES)
            assert hidden_params(response)["deployment_id"] == "b" or upstream.received["a"] == 0
        assert upstream.received["a"] <= 1 and clock.sleeps in ([], [0.0])
        if upstream.received["a"] == 1:
            cooling = {h["id"]: h for h in router.health()}["a"]
            assert cooling["cooling_reason"] == "rate_limited"
            assert cooling["cooling_until"] == pytest.approx(clock.now + 20)
    finally:
        await router.aclose()


async def test_auth_errors_cool_for_auth_cooldown_time_then_the_deployment_is_probed(
    upstream: Upstream, clock
) -> None:
    upstream.fail("a", Fault(401, error_body("bad key", "invalid_request_error", "invalid_api_key")))
    router = Router(model_list=[dep(upstream, "a")], clock=clock, auth_cooldown_time=600)
    try:
        with pytest.raises(AuthenticationError):
            await router.acompletion(model="gpt", messages=MESSAGES)
        clock.now += 599
        with pytest.raises(ServiceUnavailableError, match="auth") as caught:
            await router.acompletion(model="gpt", messages=MESSAGES)
        assert caught.value.retry_after == pytest.approx(1)
        assert upstream.received["a"] == 1
        clock.now += 1
        await router.acompletion(model="gpt", messages=MESSAGES)  # probed again, and it answers
        assert upstream.received["a"] == 2
    finally:
        await router.aclose()


async def test_context_window_error_goes_to_the_larger_model(upstream: Upstream, clock) -> None:
    too_long = error_body(
        "This model's maximum context length is 8192 tokens",
        "invalid_request_error",
        "context_length_exceeded",
    )
    upstream.fail("small", Fault(400, too_long))
    router = Router(
        model_list=[dep(upstream, "small", "gpt-small"), dep(upstream, "large", "gpt-large")],
        num_retries=3,
        context_window_fallbacks=[{"gpt-small": ["gpt-large"]}],
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        response = await router.acompletion(model="gpt-small", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "large"
        assert hidden_params(response)["fallback_from"] == "gpt-small"
        assert upstream.received["small"] == 1  # a context-window error is not retried
    finally:
        await router.aclose()


async def test_pre_call_check_skips_to_the_larger_model_without_calling_the_small_one(
    upstream: Upstream,
) -> None:
    small = dep(upstream, "small", "gpt-small")
    small["model_info"] = {"id": "small", "max_input_tokens": 50}
    large = dep(upstream, "large", "gpt-large")
    large["model_info"] = {"id": "large", "max_input_tokens": 100_000}
    router = Router(
        model_list=[small, large],
        enable_pre_call_checks=True,
        context_window_fallbacks=[{"gpt-small": ["gpt-large"]}],
    )
    try:
        long = [{"role": "user", "content": "word " * 200}]
        response = await router.acompletion(model="gpt-small", messages=long)
        assert hidden_params(response)["deployment_id"] == "large"
        assert upstream.received["small"] == 0
        short = await router.acompletion(model="gpt-small", messages=MESSAGES)
        assert hidden_params(short)["deployment_id"] == "small"
    finally:
        await router.aclose()


async def test_pre_call_check_skips_deployments_without_vision(upstream: Upstream) -> None:
    text_only = dep(upstream, "text")
    text_only["model_info"] = {"id": "text", "supports_vision": False}
    vision = dep(upstream, "vision")
    vision["model_info"] = {"id": "vision", "supports_vision": True}
    router = Router(model_list=[text_only, vision], enable_pre_call_checks=True)
    try:
        parts = [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        ]
        image = [{"role": "user", "content": parts}]
        for _ in range(5):
            response = await router.acompletion(model="gpt", messages=image)
            assert hidden_params(response)["deployment_id"] == "vision"
    finally:
        await router.aclose()


async def test_rpm_is_never_exceeded_under_200_concurrent_calls(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "a", rpm=30), dep(upstream, "b", rpm=20)])
    try:
        results = await asyncio.gather(
            *(router.acompletion(model="gpt", messages=MESSAGES) for _ in range(200)), return_exceptions=True
        )
        ok = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, RateLimitError)]
        assert len(ok) == 50 and len(refused) == 150
        assert upstream.received["a"] == 30 and upstream.received["b"] == 20
        assert all(r.retry_after is not None and 0 < r.retry_after <= 61 for r in refused)
    finally:
        await router.aclose()


async def test_max_parallel_requests_caps_calls_in_flight(upstream: Upstream) -> None:
    gate = asyncio.Event()
    upstream.hold["a"] = gate
    router = Router(model_list=[dep(upstream, "a", max_parallel_requests=3)])
    try:
        calls = [asyncio.create_task(router.acompletion(model="gpt", messages=MESSAGES)) for _ in range(10)]
        done, pending = await asyncio.wait(calls, timeout=5, return_when=asyncio.FIRST_EXCEPTION)
        # 7 refused at once (no hang); 3 held upstream
        refused = [t for t in done if isinstance(t.exception(), RateLimitError)]
        while len(refused) < 7:
            done, pending = await asyncio.wait(pending, timeout=5, return_when=asyncio.FIRST_COMPLETED)
            refused += [t for t in done if isinstance(t.exception(), RateLimitError)]
        assert len(pending) == 3
        for _ in range(5000):  # wait (bounded) until the three reach the upstream
            if upstream.in_flight["a"] == 3:
                break
            await asyncio.sleep(0.001)
        assert upstream.max_in_flight["a"] == 3
        gate.set()
        await asyncio.gather(*pending)
        # slots were released: the next call goes through
        assert await router.acompletion(model="gpt", messages=MESSAGES)
    finally:
        await router.aclose()


class Recorder:
    def __init__(self) -> None:
        self.records: list[tuple[str, object]] = []

    def on_success(self, record: object) -> None:
        self.records.append(("success", record))

    def on_failure(self, record: object) -> None:
        self.records.append(("failure", record))

    def on_stream_complete(self, record: object) -> None:
        self.records.append(("stream", record))


async def test_one_record_per_logical_call(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(500), Fault(500))
    recorder = Recorder()
    router = Router(model_list=[dep(upstream, "a")], num_retries=2, callbacks=[recorder], clock=clock,
                    sleep=clock.sleep)  # fmt: skip
    try:
        await router.acompletion(model="gpt", messages=MESSAGES, metadata={"user": "u1"})
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        async for _ in stream:
            pass
        await router.aflush()
        assert [kind for kind, _ in recorder.records] == ["success", "stream"]
        first = recorder.records[0][1]
        assert first.attempts == 3 and first.deployment == "a" and first.metadata == {"user": "u1"}  # type: ignore[attr-defined]
        assert recorder.records[1][1].usage.total_tokens == 8  # type: ignore[attr-defined]
    finally:
        await router.aclose()


async def test_a_stream_cut_mid_way_raises_from_the_iterator(upstream: Upstream) -> None:
    upstream.fail("a", Fault(200, cut_after=1))
    recorder = Recorder()
    router = Router(model_list=[dep(upstream, "a")], callbacks=[recorder], allowed_fails=0)
    try:
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        received = []
        with pytest.raises(LLMError):
            async for chunk in stream:
                received.append(chunk)
        assert received  # some content came before the cut: no silent truncation
        await router.aflush()
        assert [kind for kind, _ in recorder.records] == ["failure"]
        assert router.health()[0]["state"] == "cooling"  # the broken stream counted as a failure
    finally:
        await router.aclose()


async def test_embeddings_are_routed(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "e", "embed", model="openai/text-embedding-3-small")])
    try:
        response = await router.aembedding(model="embed", input="hello")
        assert response.data[0].embedding == [0.1, 0.2]
        assert hidden_params(response)["deployment_id"] == "e"
    finally:
        await router.aclose()


async def test_wildcard_group_passes_the_model_through(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "w", "openai/*", model="openai/*")])
    try:
        response = await router.acompletion(model="openai/gpt-4.1-nano", messages=MESSAGES)
        assert upstream.bodies["w"][-1]["model"] == "gpt-4.1-nano"
        assert hidden_params(response)["model"] == "openai/gpt-4.1-nano"
    finally:
        await router.aclose()


async def test_slow_first_token_times_out_and_falls_back(upstream: Upstream) -> None:
    upstream.delay["slow"] = 2.0
    router = Router(
        model_list=[dep(upstream, "slow", stream_timeout=0.1), dep(upstream, "fast", "backup")],
        fallbacks=[{"gpt": ["backup"]}],
    )
    try:
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        assert stream.hidden_params["deployment_id"] == "fast"
        assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]).strip()
        assert "Timeout" in {h["id"]: h for h in router.health()}["slow"]["last_error"]
    finally:
        await router.aclose()


async def test_failure_record_names_the_last_deployment_tried(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(500))
    recorder = Recorder()
    router = Router(model_list=[dep(upstream, "a")], callbacks=[recorder], clock=clock)
    try:
        with pytest.raises(InternalServerError):
            await router.acompletion(model="gpt", messages=MESSAGES)
        await router.aflush()
        ((kind, record),) = recorder.records
        assert kind == "failure" and record.deployment == "a" and record.error is not None  # type: ignore[attr-defined]
    finally:
        await router.aclose()


async def test_health_checks_report_and_cool_failing_deployments(upstream: Upstream, clock) -> None:
    upstream.fail("bad", Fault(500))
    router = Router(
        model_list=[dep(upstream, "good"), dep(upstream, "bad")],
        allowed_fails=0,
        health_check_interval=30,
        clock=clock,
    )
    try:
        results = await router.arun_health_checks()
        assert results["good"] is None and "InternalServerError" in (results["bad"] or "")
        health = {h["id"]: h for h in router.health()}
        assert health["good"]["state"] == "healthy"
        assert health["bad"]["state"] == "cooling" and health["bad"]["last_error"]
        # the background loop runs the same checks on its interval
        router.start_health_checks()
        await asyncio.sleep(0)
        assert router._health._task is not None and not router._health._task.done()
    finally:
        await router.aclose()


async def test_content_policy_error_goes_to_its_fallback(upstream: Upstream, clock) -> None:
    refused = error_body(
        "Your request was rejected as a result of our safety system.",
        "invalid_request_error",
        code="content_policy_violation",
    )
    upstream.fail("strict", Fault(400, refused))
    router = Router(
        model_list=[dep(upstream, "strict", "gpt"), dep(upstream, "lenient", "other")],
        content_policy_fallbacks=[{"gpt": ["other"]}],
        clock=clock,
    )
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "lenient"
    finally:
        await router.aclose()


async def test_default_fallbacks_serve_groups_without_their_own(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(503))
    router = Router(
        model_list=[dep(upstream, "a", "gpt"), dep(upstream, "z", "last-resort")],
        default_fallbacks=["last-resort"],
        clock=clock,
    )
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "z"
        assert hidden_params(response)["fallback_from"] == "gpt"
    finally:
        await router.aclose()


async def test_a_plain_bad_request_never_falls_back(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(400, error_body("temperature must be <= 2", "invalid_request_error")))
    router = Router(
        model_list=[dep(upstream, "a", "gpt"), dep(upstream, "b", "other")],
        fallbacks=[{"gpt": ["other"]}],
        clock=clock,
    )
    try:
        with pytest.raises(LLMError, match="temperature"):
            await router.acompletion(model="gpt", messages=MESSAGES)
        assert upstream.received["b"] == 0
    finally:
        await router.aclose()


def test_fallbacks_to_unknown_groups_are_refused_at_construction(upstream: Upstream) -> None:
    with pytest.raises(LLMError, match="unknown model groups: clade"):
        Router(model_list=[dep(upstream, "a")], fallbacks=[{"gpt": ["clade"]}])


async def test_a_stream_closed_early_is_reported_and_counted_but_cools_nothing(upstream: Upstream) -> None:
    from llmrelay.cost.tokens import count_text, token_counter
    from llmrelay.types.errors import StreamClosedEarly

    recorder = Recorder()
    prompt, completion = token_counter("gpt", MESSAGES), count_text("hello ")
    # room for two prompts: the stream's tokens so far, once counted, leave too little for a second call
    router = Router(model_list=[dep(upstream, "a", tpm=2 * prompt)], callbacks=[recorder], allowed_fails=0)
    try:
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        await stream.__anext__()  # the role chunk
        assert (await stream.__anext__()).choices[0].delta.content == "hello "
        await stream.aclose()
        await router.aflush()
        [(kind, record)] = recorder.records
        assert kind == "failure" and isinstance(record.error, StreamClosedEarly)  # type: ignore[attr-defined]
        assert record.usage.total_tokens == prompt + completion  # type: ignore[attr-defined]
        # the reader left: not the deployment's fault
        assert router.health()[0]["state"] == "healthy" and router.health()[0]["last_error"] is None
        # ...but its tokens count against the deployment's tpm
        with pytest.raises(RateLimitError):
            await router.acompletion(model="gpt", messages=MESSAGES)
    finally:
        await router.aclose()
