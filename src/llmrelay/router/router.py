"""`Router`: load balancing, retries, fallbacks, cooldowns and deployment limits over a model_list.

The SDK's `Router(model_list=...)` and the gateway's config.yaml build the same object. A router owns
its state (counters, cooldowns, callbacks, loop thread); two routers share nothing unless they are
pointed at the same Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext
from llmrelay.core.input_limits import (
    DEFAULT_MAX_EMBEDDING_INPUTS,
    DEFAULT_MAX_RERANK_DOCUMENTS,
    InputLimits,
)
from llmrelay.core.responses_memory import MemoryResponseStore
from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.loop_thread import LoopThread
from llmrelay.router.aliases import AliasSpec, parse_aliases
from llmrelay.router.deployments import RouterDeployment, parse_model_list
from llmrelay.router.groups import ModelGroups
from llmrelay.router.health import HealthChecker, cooling_report
from llmrelay.router.picking import Pick, Picker, PickRequest
from llmrelay.router.policy import DEFAULT_AUTH_COOLDOWN, FallbackPolicy, RetryPolicy, fallback_map
from llmrelay.router.records import CallReporter, CallTrace
from llmrelay.router.run_settings import CallOptions, CooldownSettings, Timing
from llmrelay.router.runner import CallRunner
from llmrelay.router.sdk import KeywordCalls
from llmrelay.router.shared import SharedBackends, open_backends
from llmrelay.router.strategies import check_strategy
from llmrelay.router.token_count import upstream_input_tokens
from llmrelay.transport.bounds import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES
from llmrelay.transport.http import DEFAULT_TIMEOUT
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import Usage

log = logging.getLogger("llmrelay.router")


class Router(KeywordCalls):
    def __init__(
        self,
        model_list: Sequence[Mapping[str, Any]] = (),
        *,
        routing_strategy: str = "simple-shuffle",
        num_retries: int = 0,
        retry_after: float = 0.0,
        retry_policy: Mapping[str, int] | None = None,
        fallbacks: Any = None,
        context_window_fallbacks: Any = None,
        content_policy_fallbacks: Any = None,
        default_fallbacks: Sequence[str] | None = None,
        model_group_alias: Mapping[str, AliasSpec] | None = None,
        allowed_fails: int = 3,
        cooldown_time: float = 60.0,
        cooldown_window: float = 60.0,
        disable_cooldowns: bool = False,
        auth_cooldown_time: float = DEFAULT_AUTH_COOLDOWN,
        timeout: float | None = None,
        stream_timeout: float | None = None,
        stream_chunk_timeout: float | None = None,
        redis_url: str | None = None,
        redis_key_prefix: str = "llmrelay:router:",
        enable_pre_call_checks: bool = False,
        routing_strategy_args: Mapping[str, Any] | None = None,
        health_check_interval: float | None = None,
        callbacks: Sequence[Any] = (),
        drop_params: bool = False,
        client: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
        callbacks_on_caller_loop: bool = False,
        max_upstream_response_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_upstream_stream_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_embedding_inputs: int = DEFAULT_MAX_EMBEDDING_INPUTS,
        max_rerank_documents: int = DEFAULT_MAX_RERANK_DOCUMENTS,
    ) -> None:
        check_strategy(routing_strategy)
        self._owns_engine = client is None
        if client is not None:
            self.engine: Engine = client.engine
        else:
            from llmrelay.providers.registry import ProviderRegistry
            from llmrelay.transport.http import HttpTransport

            transport = HttpTransport(
                max_body_bytes=max_upstream_response_bytes,
                max_event_bytes=max_upstream_stream_event_bytes,
            )
            limits = InputLimits(
                max_embedding_inputs=max_embedding_inputs, max_rerank_documents=max_rerank_documents
            )
            self.engine = Engine(transport, ProviderRegistry(), Catalog(), input_limits=limits)
        self.catalog = self.engine.catalog
        self.routing_strategy = routing_strategy
        self.drop_params = drop_params
        self.clock = clock
        self._groups = ModelGroups(parse_model_list(model_list, self.engine.registry, self.catalog))
        aliases = parse_aliases(model_group_alias, self._groups)
        # read on every call: a name that is no alias costs one dict miss
        self._alias_targets = aliases.targets
        self._listed_aliases = aliases.listed
        self._loop_thread = LoopThread("llmrelay-router")
        # Router.aresponses' stored Responses (store left on): bounded, in memory, this router's own
        self._response_store: MemoryResponseStore | None = MemoryResponseStore()
        # callbacks run on the router's own thread, or (a server's choice) as a background task on
        # the loop that made the call: no thread hop per record
        self._reporter = CallReporter(callbacks, None if callbacks_on_caller_loop else self._loop_thread)
        self._backends: SharedBackends = open_backends(redis_url, redis_key_prefix)
        rng = random.Random(seed)
        # call ids from a generator seeded once from the OS: uuid4 reads the OS per call
        self._ids = random.Random()
        args = dict(routing_strategy_args or {})
        self._picker = Picker(
            strategy=routing_strategy,
            state=self._backends.state,
            limiter=self._backends.limiter,
            catalog=self.catalog,
            registry=self.engine.registry,
            rng=rng,
            clock=clock,
            latency_buffer=float(args.get("lowest_latency_buffer", 0.5)),
            latency_ttl=float(args.get("ttl", 60.0)),
            pre_call_checks=enable_pre_call_checks,
        )
        self._runner = CallRunner(
            engine=self.engine,
            groups=self._groups,
            picker=self._picker,
            state=self._backends.state,
            limiter=self._backends.limiter,
            reporter=self._reporter,
            retry=RetryPolicy(num_retries, dict(retry_policy or {})),
            fallbacks=FallbackPolicy(
                fallback_map(fallbacks),
                fallback_map(context_window_fallbacks),
                fallback_map(content_policy_fallbacks),
                list(default_fallbacks or ()),
            ),
            cooldowns=CooldownSettings(
                allowed_fails,
                cooldown_time,
                cooldown_window,
                disabled=disable_cooldowns,
                auth_cooldown_time=auth_cooldown_time,
            ),
            timing=Timing(timeout, stream_timeout, stream_chunk_timeout, retry_after),
            clock=clock,
            sleep=sleep,
            rng=rng,
            latency_alpha=float(args.get("latency_alpha", 0.3)),
        )
        self._health = HealthChecker(self, health_check_interval)
        self._check_fallback_names()

    def _check_fallback_names(self) -> None:
        """A fallback naming no group is a config mistake: say so now, not on the first outage."""
        policy = self._runner.fallbacks
        named = {g for table in (policy.fallbacks, policy.context_window, policy.content_policy)
                 for key, targets in table.items() for g in (key, *targets) if g != "*"}  # fmt: skip
        named.update(policy.default)
        # an alias is no group: fallbacks name the group it stands for
        unknown = sorted(n for n in named if n in self._alias_targets
                         or self._groups.group_name(n) not in self._groups.names())  # fmt: skip
        if unknown:
            raise BadRequestError(
                f"fallbacks name unknown model groups: {', '.join(unknown)}; "
                f"known groups: {', '.join(sorted(self._groups.names()))}"
            )

    # ---- introspection
    def model_names(self) -> list[str]:
        """The names a caller may ask for: every model group, then the aliases not marked hidden."""
        return [*self._groups.names(), *self._listed_aliases]

    def alias_target(self, model: str) -> str | None:
        """The model name the alias `model` stands for (its `model_group_alias` target), or None."""
        return self._alias_targets.get(model)

    def deployments(self, model_name: str | None = None) -> list[dict[str, Any]]:
        """The deployments of a group (by its name or an alias of it), or of every group."""
        return [d.public() for d in self.router_deployments(model_name)]

    def router_deployments(self, model_name: str | None = None) -> list[RouterDeployment]:
        if model_name is not None:
            model_name = self._alias_targets.get(model_name, model_name)
        return self._groups.of(model_name)

    async def count_message_tokens(
        self, model: str, body: dict[str, Any], betas: list[str] | None
    ) -> int | None:
        """The provider's own input-token count of an Anthropic Messages body, when `model` is served
        by Anthropic's API; None otherwise (the caller estimates)."""
        return await upstream_input_tokens(self.engine, self.router_deployments(model), body, betas)

    def health(self) -> list[dict[str, Any]]:
        """Each deployment's state as this router last saw it (shared cooldowns are refreshed on
        every pick; `ahealth()` reads them now)."""
        now = self.clock()
        report = []
        for d in self._groups.deployments:
            cooldown = self._picker.seen_cooldowns.get(d.id)
            cooling = cooldown is not None and cooldown.active(now, d.fingerprint)
            report.append(
                {
                    "id": d.id,
                    "model_name": d.model_name,
                    "model": d.target.qualified_model,
                    "state": "cooling" if cooling else "healthy",
                    **cooling_report(cooldown if cooling else None),
                    "last_error": self._runner.last_errors.get(d.id),
                }
            )
        return report

    async def ahealth(self) -> list[dict[str, Any]]:
        await self._picker.available(self._groups.deployments, self.clock())
        return self.health()

    def add_callback(self, callback: Any) -> None:
        self._reporter.add(callback)

    @property
    def callbacks(self) -> list[Any]:
        return self._reporter.callbacks

    def report_cache_hit(self, call: Call[Any], answer: Any, usage: Usage | None) -> None:
        """A call the response cache (llmrelay.cache) answered without the router: one on_success
        record with `cache_hit`, provider "cache" and no cost, so metrics and logs count it."""
        if not self._reporter.active:
            return
        request = call.request
        trace = CallTrace(call.operation.call_type, request.model, request, call.context,
                          bool(getattr(request, "stream", False)), self._call_id())  # fmt: skip
        self._reporter.emit("on_success", trace, None, usage=usage, cost=0, response=answer, cache_hit=True)

    # ---- the one entry point: every call type, from the gateway's chain and the SDK's keywords
    async def route(self, call: Call[Any]) -> Any:
        """Route `call` within its model group (retries, then fallback groups): its operation's
        response, or — for a streaming operation asked to stream — its stream, which reports its own
        end once read. A request that names no model goes to the operation's default group."""
        op, request, context = call.operation, call.request, call.context
        model: str | None = request.model
        if not model:
            model = self._required_default(op.default_mode)
        stream = op.streams and bool(request.stream)
        trace = CallTrace(op.call_type, model, request, context, stream, context.call_id or self._call_id())
        options = self._options(context)
        picking = self._pick_request(
            model, options, stream, context.timeout, lambda: op.estimate_tokens(request),
            request if isinstance(request, ChatRequest) else None,
        )  # fmt: skip
        runner, engine = self._runner, self.engine
        if stream:

            async def open_stream(pick: Pick) -> Any:
                return await runner.open_stream(
                    trace,
                    pick,
                    lambda: engine.open_stream(
                        op,
                        request,
                        pick.target,
                        drop_params=options.drop_params,
                        timeout=runner.timeout_for(pick, options),
                        stream_timeouts=runner.stream_timeouts_for(pick, options),
                    ),
                )

            # retried and fallen back before the first chunk; the stream reports its own end
            streamed, _ = await runner.route_reported(trace, picking, options, open_stream)
            return streamed

        return await runner.route_answer(
            trace,
            picking,
            options,
            lambda pick: engine.answer(
                op,
                request,
                pick.target,
                drop_params=options.drop_params,
                timeout=runner.timeout_for(pick, options),
            ),
            op.usage,
        )

    def default_model(self, mode: str) -> str | None:
        """The first model group (in model_list order) whose deployments the catalog lists in `mode`
        ("moderation", "image_generation"): where a call that names no model goes."""
        for name in self._groups.names():
            for deployment in self._groups.of(name):
                info = self.engine.model_info(deployment.target)
                if info is not None and info.mode == mode:
                    return name
        return None

    def _required_default(self, mode: str | None) -> str:
        model = None if mode is None else self.default_model(mode)
        if model is None:
            what = "this call" if mode is None else mode.replace("_", " ")
            raise BadRequestError(
                f"`model` is required: no configured model group serves {what}", param="model"
            )
        return model

    def _call_id(self) -> str:
        return f"{self._ids.getrandbits(128):032x}"

    def _options(self, context: CallContext) -> CallOptions:
        routing = context.routing
        if routing is not None and routing.default_model:
            target = self._alias_targets.get(routing.default_model)
            if target is not None:  # a default model named by an alias routes as its group
                routing = dataclasses.replace(routing, default_model=target)
        return CallOptions(
            tags=context.tags,
            timeout=context.timeout,
            stream_timeouts=context.stream_timeouts,
            num_retries=context.num_retries,
            drop_params=self.drop_params if context.drop_params is None else context.drop_params,
            routing=routing,
        )

    def _pick_request(
        self,
        model: str,
        options: CallOptions,
        stream: bool,
        timeout: float | None,
        estimate: Callable[[], int],
        chat: ChatRequest | None = None,
    ) -> PickRequest:
        # a parallel slot outlives a crashed holder by at most the call's timeout plus a minute
        lease = (timeout or self._runner.timing.timeout or DEFAULT_TIMEOUT) + 60.0
        # an alias is routed as its target; the trace keeps the name the caller asked for
        model = self._alias_targets.get(model, model)
        return PickRequest(model, options.tags, stream, estimate, chat, lease, options.routing)

    # ---- lifecycle
    async def arun_health_checks(self) -> dict[str, str | None]:
        """Check every deployment once now: id → error text, None when healthy."""
        return await self._health.check_all()

    def start_health_checks(self) -> None:
        """Start the background health checks (needs a running loop; idempotent)."""
        self._health.start()

    async def aflush(self) -> None:
        """Wait for pending bookkeeping and callbacks (tests, short scripts)."""
        await self._runner.drain()
        await self._reporter.flush()

    async def aclose(self) -> None:
        await self._health.stop()
        await self.aflush()
        await self._backends.aclose()
        await self._reporter.close()
        if self._loop_thread.started:
            fut = asyncio.run_coroutine_threadsafe(self._close_on_thread(), self._loop_thread.loop)
            await asyncio.wrap_future(fut)
            self._loop_thread.stop()
        if self._owns_engine:
            await self.engine.transport.aclose_current_loop()

    def close(self) -> None:
        """The sync twin of `aclose`, for code without a running loop (the sync API's users)."""
        asyncio.run(self.aclose())

    async def _close_on_thread(self) -> None:
        # what the sync API opened on the loop thread: its Redis client, its HTTP pool
        await self._backends.aclose()
        if self._owns_engine:
            await self.engine.transport.aclose_current_loop()
