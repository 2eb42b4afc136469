"""Background work a gateway worker runs beside its requests, started on the worker's serving loop."""

from __future__ import annotations

from typing import Any


class RouterHealthChecks:
    """Starts the router's periodic deployment probes (general_settings.background_health_checks).

    The router owns the task and stops it in its own `aclose()`, so there is nothing to stop here."""

    def __init__(self, router: Any) -> None:
        self._router = router

    async def start(self) -> None:
        self._router.start_health_checks()

    async def stop(self) -> None:
        return None
