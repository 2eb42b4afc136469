"""Optional background health checks: a tiny call to each deployment every `interval` seconds.
A failing check counts like a failed call (it can start a cooldown); a passing one clears the
deployment's last error."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from llmrelay.calls.operation import CHAT, EMBEDDING, MODERATION, RERANK
from llmrelay.router.deployments import RouterDeployment
from llmrelay.router.picking import Pick
from llmrelay.router.state import Cooldown
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import LLMError
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

if TYPE_CHECKING:
    from llmrelay.router.router import Router

log = logging.getLogger("llmrelay.router.health")


# why a deployment cools, as /health says it
_COOLING_WHY = {
    "auth": "the upstream refused its credentials (401/403); the first call after cooling_until "
    "probes it again, and a changed key ends the cooldown at once",
    "rate_limited": "the upstream asked to wait (429 with retry-after)",
    "failures": "more than allowed_fails failures within cooldown_window",
}


def cooling_report(cooldown: Cooldown | None) -> dict[str, Any]:
    """A deployment's cooldown as /health shows it: until when (clock seconds, and UTC when the
    clock is wall time), the reason code, and why in words."""
    if cooldown is None:
        return {"cooling_until": None, "cooling_until_utc": None, "cooling_reason": None, "cooling_why": None}
    until = cooldown.until if math.isfinite(cooldown.until) else None
    # the router's clock is time.time unless a test injects another: only then is it a date
    utc = datetime.fromtimestamp(until, UTC).isoformat() if until is not None and until > 1e9 else None
    return {
        "cooling_until": until,
        "cooling_until_utc": utc,
        "cooling_reason": cooldown.reason,
        "cooling_why": _COOLING_WHY.get(cooldown.reason, cooldown.reason),
    }


class HealthChecker:
    def __init__(self, router: Router, interval: float | None) -> None:
        self._router = router
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval is None or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                log.debug("health checks stopped")

    async def _loop(self) -> None:
        assert self.interval is not None
        while True:
            await self.check_all()
            await asyncio.sleep(self.interval)

    async def check_all(self) -> dict[str, str | None]:
        """Check every concrete deployment once; returns id → error (None when healthy)."""
        targets = [d for d in self._router.router_deployments() if not d.is_wildcard]
        results = await asyncio.gather(*(self.check(d) for d in targets))
        return {d.id: r for d, r in zip(targets, results, strict=True)}

    async def check(self, deployment: RouterDeployment) -> str | None:
        router = self._router
        runner = router._runner
        pick = Pick(deployment, deployment.target, None)
        mode = deployment.model_info.get("mode") or self._catalog_mode(deployment)
        if mode == "image_generation":
            # a ping would make (and bill) an image: these deployments are judged by real calls only
            return None
        try:
            if mode == "rerank":
                await router.engine.answer(RERANK,
                    RerankRequest(model=deployment.target.model, query="ping", documents=["ping"]),
                    deployment.target, timeout=runner.timing.timeout,
                )  # fmt: skip
            elif mode == "moderation":
                await router.engine.answer(MODERATION,
                    ModerationRequest(model=deployment.target.model, input="ping"), deployment.target,
                    timeout=runner.timing.timeout,
                )  # fmt: skip
            elif mode == "embedding":
                await router.engine.answer(EMBEDDING,
                    EmbeddingRequest(model=deployment.target.model, input="ping"), deployment.target,
                    timeout=runner.timing.timeout,
                )  # fmt: skip
            else:
                request = ChatRequest(
                    model=deployment.target.model,
                    messages=[Message(role="user", content="ping")],
                    max_tokens=1,
                )
                await router.engine.answer(
                    CHAT, request, deployment.target, drop_params=True, timeout=runner.timing.timeout
                )
        except LLMError as exc:
            await runner.attempt_failed(pick, exc)
            log.warning("health check failed for deployment %s: %s", deployment.id, exc)
            return str(exc)
        runner.last_errors.pop(deployment.id, None)
        return None

    def _catalog_mode(self, deployment: RouterDeployment) -> str | None:
        """The catalog's mode for the modes a chat ping cannot check (rerank, moderation, images);
        others stay as configured (a chat check unless model_info says `embedding`)."""
        info = self._router.engine.model_info(deployment.target)
        mode = info.mode if info is not None else None
        return mode if mode in ("rerank", "moderation", "image_generation") else None
