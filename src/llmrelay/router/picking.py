"""Choosing a deployment for one attempt: drop cooling ones, apply tags and pre-call checks, keep the
best `order` tier that has room, rank it with the strategy, and reserve capacity on the first
deployment whose limits accept the call."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from llmrelay.calls.context import EndUserRouting
from llmrelay.cost.catalog import Catalog
from llmrelay.limits.base import Limit, Limiter, LimitUsage, Refusal, Reservation
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.deployments import RouterDeployment
from llmrelay.router.prechecks import NoCapableDeploymentError, filter_deployments
from llmrelay.router.state import Cooldown, LatencyStats, RouterState
from llmrelay.router.strategies import NEEDS_LATENCY, NEEDS_USAGE, Candidate, rank
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import RateLimitError, ServiceUnavailableError


@dataclass(slots=True)
class Pick:
    deployment: RouterDeployment
    target: Deployment
    reservation: Reservation | None


@dataclass(frozen=True, slots=True)
class PickRequest:
    """What the picker needs to know about the call."""

    model: str
    tags: frozenset[str]
    stream: bool
    estimate_tokens: Callable[[], int]
    chat: ChatRequest | None
    lease: float
    # an end user limited to a region (the runner keeps the group to that region's deployments)
    routing: EndUserRouting | None = None
    # the group's deployments when the caller resolved them itself (the SDK Client's group of one,
    # made per call from the model string and the call's credentials); None = the router's groups
    deployments: Sequence[RouterDeployment] | None = None


def limiter_key(deployment_id: str) -> str:
    return f"deployment:{deployment_id}"


def limit_for(deployment: RouterDeployment) -> Limit:
    return Limit(limiter_key(deployment.id), deployment.rpm, deployment.tpm, deployment.max_parallel_requests)


def select_by_tags(deployments: Sequence[RouterDeployment], tags: frozenset[str]) -> list[RouterDeployment]:
    """A tagged request goes to deployments sharing a tag, else to those tagged "default"."""
    if not tags:
        return list(deployments)
    matching = [d for d in deployments if d.tags & tags]
    if matching:
        return matching
    defaults = [d for d in deployments if "default" in d.tags]
    if defaults:
        return defaults
    raise NoCapableDeploymentError(
        f"no deployment of this group carries any of the tags {sorted(tags)}", param="tags"
    )


class Picker:
    def __init__(
        self,
        *,
        strategy: str,
        state: RouterState,
        limiter: Limiter,
        catalog: Catalog,
        registry: ProviderRegistry,
        rng: random.Random,
        clock: Callable[[], float],
        latency_buffer: float,
        latency_ttl: float,
        pre_call_checks: bool,
    ) -> None:
        self.strategy = strategy
        self.state = state
        self.limiter = limiter
        self.catalog = catalog
        self.registry = registry
        self.rng = rng
        self.clock = clock
        self.latency_buffer = latency_buffer
        self.latency_ttl = latency_ttl
        self.pre_call_checks = pre_call_checks
        # the last cooldowns this router saw, for health()
        self.seen_cooldowns: dict[str, Cooldown] = {}

    async def available(
        self, deployments: Sequence[RouterDeployment], now: float
    ) -> tuple[list[RouterDeployment], dict[str, Cooldown]]:
        cooldowns = await self.state.cooldowns([d.id for d in deployments], now)
        self.seen_cooldowns.update(cooldowns)
        live = []
        for d in deployments:
            cooldown = cooldowns.get(d.id)
            if cooldown is not None and cooldown.active(now, d.fingerprint):
                continue
            self.seen_cooldowns.pop(d.id, None)
            live.append(d)
        return live, cooldowns

    async def pick(
        self, group: str, deployments: Sequence[RouterDeployment], call: PickRequest, tried: set[str]
    ) -> Pick:
        now = self.clock()
        if len(deployments) == 1 and not call.tags and not (self.pre_call_checks and call.chat is not None):
            only = deployments[0]
            if not self.needs_reservation(only):
                return await self._pick_only(group, only, call, now)
        eligible = select_by_tags(deployments, call.tags)
        if self.pre_call_checks and call.chat is not None:
            eligible = filter_deployments(eligible, call.chat, self.catalog)
        live, cooldowns = await self.available(eligible, now)
        if not live:
            raise self._all_cooling(group, eligible, cooldowns, now)
        # a retry prefers deployments this call has not tried yet
        fresh = [d for d in live if d.id not in tried] or live
        refusals: list[Refusal] = []
        for order in sorted({d.order for d in fresh}):
            tier = [d for d in fresh if d.order == order]
            for deployment in rank(
                self.strategy,
                await self._candidates(tier, now),
                self.rng,
                stream=call.stream,
                latency_buffer=self.latency_buffer,
            ):
                outcome = await self._reserve(deployment, call, now)
                if isinstance(outcome, Refusal):
                    refusals.append(outcome)
                    continue
                target = deployment.for_model(call.model, self.registry, self.catalog)
                return Pick(deployment, target, outcome)
        waits = [r.retry_after for r in refusals if r.retry_after is not None]
        raise RateLimitError(
            f"every deployment of model group {group!r} is at its rpm/tpm/parallel limit",
            model=group,
            retry_after=min(waits) if waits else 1.0,
        )

    async def _pick_only(
        self, group: str, deployment: RouterDeployment, call: PickRequest, now: float
    ) -> Pick:
        """A group of one deployment without limits: the full pick could only choose it, so the
        candidate lists, ranking and reservation are skipped; a cooling deployment still refuses."""
        live, cooldowns = await self.available((deployment,), now)
        if not live:
            raise self._all_cooling(group, (deployment,), cooldowns, now)
        # the one draw ranking makes for a single candidate: seeded picks elsewhere stay the same
        self.rng.random()
        return Pick(deployment, deployment.for_model(call.model, self.registry, self.catalog), None)

    def needs_reservation(self, deployment: RouterDeployment) -> bool:
        return self.strategy in NEEDS_USAGE or any(
            v is not None for v in (deployment.rpm, deployment.tpm, deployment.max_parallel_requests)
        )

    async def _reserve(
        self, deployment: RouterDeployment, call: PickRequest, now: float
    ) -> Reservation | Refusal | None:
        if not self.needs_reservation(deployment):
            return None
        tokens = call.estimate_tokens() if deployment.tpm is not None or self.strategy in NEEDS_USAGE else 0
        return await self.limiter.reserve([limit_for(deployment)], tokens, now=now, lease=call.lease)

    async def _candidates(self, tier: Sequence[RouterDeployment], now: float) -> list[Candidate]:
        usage: dict[str, LimitUsage] = {}
        latency: dict[str, LatencyStats] = {}
        if self.strategy in NEEDS_USAGE:
            usage = await self.limiter.usage([limiter_key(d.id) for d in tier], now=now)
        if self.strategy in NEEDS_LATENCY:
            # averages older than the ttl count as unmeasured: one slow spell (a cold start) must
            # not keep a deployment out of the band forever
            latency = {
                k: v
                for k, v in (await self.state.latencies([d.id for d in tier])).items()
                if v.updated_at is None or now - v.updated_at < self.latency_ttl
            }
        prices = self.strategy == "cost-based-routing"
        return [
            Candidate(
                d,
                usage.get(limiter_key(d.id), LimitUsage()),
                latency.get(d.id, LatencyStats()),
                self.price(d) if prices else math.inf,
            )
            for d in tier
        ]

    def price(self, deployment: RouterDeployment) -> float:
        """Input + output price per token (pico-USD); the deployment's own prices override the
        catalog's."""
        own = deployment.target.prices
        if own is not None:
            return float((own.input or 0) + (own.output or 0))
        entry = self.catalog.get(deployment.target.model, deployment.target.provider)
        if entry is None or entry.input is None:
            return math.inf
        return float(entry.input + (entry.output or 0))

    @staticmethod
    def _all_cooling(
        group: str, deployments: Sequence[RouterDeployment], cooldowns: dict[str, Cooldown], now: float
    ) -> ServiceUnavailableError | RateLimitError:
        """Every candidate is cooling. When rate limits cooled them all, the caller is rate limited
        (429, as LiteLLM answers) and may retry when the soonest cooldown ends; otherwise the model
        group is unavailable (503)."""
        ends = [cooldowns[d.id].until for d in deployments if d.id in cooldowns]
        finite = [t - now for t in ends if math.isfinite(t)]
        reasons = sorted({cooldowns[d.id].reason for d in deployments if d.id in cooldowns})
        soonest = max(0.0, min(finite)) if finite else None
        if reasons == ["rate_limited"] and soonest is not None:
            return RateLimitError(
                f"every deployment of model group {group!r} is rate limited; "
                f"try again in {math.ceil(soonest)} s",
                model=group,
                # whole seconds, rounded up: `retry-after: 0` would invite an immediate retry
                retry_after=float(max(1, math.ceil(soonest))),
            )
        return ServiceUnavailableError(
            f"every deployment of model group {group!r} is cooling down ({', '.join(reasons)})",
            model=group,
            retry_after=soonest,
        )
