"""Routing strategies: each ranks a group's available deployments, best first.

The first is tried; the rest are the order in which the router moves on when a deployment's limits
refuse the call. Ties are broken at random so equal deployments share traffic."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from llmrelay.limits.base import LimitUsage
from llmrelay.router.deployments import RouterDeployment
from llmrelay.router.state import LatencyStats
from llmrelay.types.errors import BadRequestError

STRATEGIES = (
    "simple-shuffle",
    "least-busy",
    "latency-based-routing",
    "usage-based-routing",
    "usage-based-routing-v2",
    "cost-based-routing",
)
# strategies that read live counters before each pick
NEEDS_USAGE = frozenset({"least-busy", "usage-based-routing", "usage-based-routing-v2"})
NEEDS_LATENCY = frozenset({"latency-based-routing"})


@dataclass(frozen=True, slots=True)
class Candidate:
    deployment: RouterDeployment
    usage: LimitUsage = field(default_factory=LimitUsage)
    latency: LatencyStats = field(default_factory=LatencyStats)
    # price of a typical call in pico-USD per (input + output) token; inf when unknown
    price: float = math.inf


Ranker = Callable[[Sequence[Candidate], bool, random.Random], list[RouterDeployment]]


def weighted_order(candidates: Sequence[Candidate], rng: random.Random) -> list[RouterDeployment]:
    """A weighted random permutation (Efraimidis-Spirakis): the first element is deployment i with
    probability weight_i / sum(weights)."""
    keyed = [(rng.random() ** (1.0 / c.deployment.balance_weight), c.deployment) for c in candidates]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [d for _, d in keyed]


def _sorted(
    candidates: Sequence[Candidate], rng: random.Random, key: Callable[[Candidate], tuple[float, ...]]
) -> list[RouterDeployment]:
    return [c.deployment for c in sorted(candidates, key=lambda c: (*key(c), rng.random()))]


def least_busy(candidates: Sequence[Candidate], rng: random.Random) -> list[RouterDeployment]:
    return _sorted(candidates, rng, lambda c: (c.usage.in_flight,))


def usage_based(candidates: Sequence[Candidate], rng: random.Random) -> list[RouterDeployment]:
    def load(c: Candidate) -> tuple[float, ...]:
        d = c.deployment
        ratios = [0.0]
        if d.rpm:
            ratios.append(c.usage.requests / d.rpm)
        if d.tpm:
            ratios.append(c.usage.tokens / d.tpm)
        return (max(ratios), float(c.usage.tokens))

    return _sorted(candidates, rng, load)


def cost_based(candidates: Sequence[Candidate], rng: random.Random) -> list[RouterDeployment]:
    return _sorted(candidates, rng, lambda c: (c.price,))


def latency_based(
    candidates: Sequence[Candidate], rng: random.Random, *, stream: bool, buffer: float
) -> list[RouterDeployment]:
    """Lowest average latency (time to first token for streams). Every deployment within
    (1 + `buffer`) times the best is an equal choice, so traffic is spread instead of herded onto one;
    unmeasured deployments count as fastest, so each gets measured."""

    def metric(c: Candidate) -> float:
        primary, other = (
            (c.latency.ttft, c.latency.latency) if stream else (c.latency.latency, c.latency.ttft)
        )
        value = primary if primary is not None else other
        return 0.0 if value is None else value

    scored = sorted(((metric(c), rng.random(), c.deployment) for c in candidates), key=lambda t: t[:2])
    if not scored:
        return []
    limit = scored[0][0] * (1.0 + buffer)
    band = [d for m, _, d in scored if m <= limit]
    rng.shuffle(band)
    return band + [d for m, _, d in scored if m > limit]


def rank(
    strategy: str,
    candidates: Sequence[Candidate],
    rng: random.Random,
    *,
    stream: bool = False,
    latency_buffer: float = 0.5,
) -> list[RouterDeployment]:
    if strategy == "simple-shuffle":
        return weighted_order(candidates, rng)
    if strategy == "least-busy":
        return least_busy(candidates, rng)
    if strategy == "latency-based-routing":
        return latency_based(candidates, rng, stream=stream, buffer=latency_buffer)
    if strategy in ("usage-based-routing", "usage-based-routing-v2"):
        return usage_based(candidates, rng)
    if strategy == "cost-based-routing":
        return cost_based(candidates, rng)
    raise BadRequestError(f"unknown routing_strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise BadRequestError(f"unknown routing_strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
