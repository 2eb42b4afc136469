"""GET /model_group/info (LiteLLM's): one entry per model group a caller may call — its providers,
mode, context limits, prices (USD per token) and capability flags, read from the price catalog for
the group's deployments, and the group's summed rpm/tpm. Never a credential or an endpoint."""

from __future__ import annotations

from typing import Any

PICO = 1e12  # the catalog's prices are pico-USD per token
_FLAGS = ("function_calling", "parallel_function_calling", "vision", "reasoning", "web_search")


def _sum(values: list[int | None]) -> int | None:
    given = [v for v in values if v is not None]
    return sum(given) if given else None


def group_info(router: Any, name: str) -> dict[str, Any]:
    deployments = router.router_deployments(name) if hasattr(router, "router_deployments") else []
    engine = getattr(router, "engine", None)
    infos = [engine.model_info(d.target) for d in deployments] if engine is not None else []
    known = [i for i in infos if i is not None]
    first = known[0] if known else None

    def price(value: int | None) -> float | None:
        return None if value is None else value / PICO

    entry: dict[str, Any] = {
        "model_group": name,
        "providers": sorted({d.target.provider for d in deployments}),
        "mode": first.mode if first is not None else "chat",
        "max_input_tokens": first.max_input_tokens if first is not None else None,
        "max_output_tokens": first.max_output_tokens if first is not None else None,
        "input_cost_per_token": price(first.input) if first is not None else None,
        "output_cost_per_token": price(first.output) if first is not None else None,
        "tpm": _sum([d.tpm for d in deployments]),
        "rpm": _sum([d.rpm for d in deployments]),
    }
    for flag in _FLAGS:
        # a group supports what every deployment of it supports
        entry[f"supports_{flag}"] = (
            bool(known) and len(known) == len(infos) and all(i.supports(flag) for i in known)
        )
    return entry


def model_group_info(router: Any, visible: frozenset[str] | None, only: str | None) -> list[dict[str, Any]]:
    """Every group (`visible`: only those; `only`: the one named), aliases not repeated."""
    names = [n for n in router.model_names() if router.alias_target(n) is None]
    if visible is not None:
        names = [n for n in names if n in visible]
    if only is not None:
        names = [n for n in names if n == only]
    return [group_info(router, n) for n in names]
