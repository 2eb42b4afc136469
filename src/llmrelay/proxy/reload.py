"""Config reload without a restart: SIGHUP, or POST /config/reload (admin only), reads config.yaml
again, checks it whole — the same checks as at start, and a router built from it — and swaps its
model_list and credential_list in (proxy/models/catalog.py), with no request dropped: calls in
flight finish on the deployments they started with. A file that fails is refused and the running
config kept; the error is logged and shown on /health (`config_reload`).

What a reload applies: model_list and credential_list. The rest of the file is read by the worker
once, when it builds its router, key runtime and server (router_settings, litellm_settings,
general_settings, environment_variables: ports, database, workers, callbacks, fallbacks): a change
there is named in the log and on /health under `needs_restart`, and takes effect at the next
restart (docs/config.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig, load_config
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.models.catalog import ModelCatalog
from llmrelay.proxy.openapi import RouteDoc
from llmrelay.types.errors import LLMError, PermissionDeniedError

log = logging.getLogger("llmrelay.reload")

RELOAD_PATH = "/config/reload"
# the sections whose changes a reload applies (beside them: needs_restart)
RELOADED = ("model_list", "credential_list")
_RESTART_SECTIONS = ("router_settings", "litellm_settings", "general", "environment_variables")


def reload_docs() -> dict[tuple[str, str], RouteDoc]:
    return {
        ("POST", RELOAD_PATH): RouteDoc(
            "Read config.yaml again and apply its model_list and credential_list (admin)",
            "Admin",
            errors=(400,),
        )
    }


class ReloadStatus(msgspec.Struct, kw_only=True):
    """The last reload, as /health shows it."""

    state: Literal["never", "applied", "refused"] = "never"
    at: str | None = None
    source: str = ""
    error: str | None = None
    # settings changed in the file since the start that only a restart applies
    needs_restart: list[str] = msgspec.field(default_factory=list)
    applied: int = 0
    refused: int = 0


def needs_restart(started: GatewayConfig, loaded: GatewayConfig) -> list[str]:
    """The settings (never their values) that differ between the running config and the file."""
    changed: list[str] = []
    for section in _RESTART_SECTIONS:
        old, new = getattr(started, section), getattr(loaded, section)
        name = "general_settings" if section == "general" else section
        if isinstance(old, msgspec.Struct):
            old_fields, new_fields = msgspec.structs.asdict(old), msgspec.structs.asdict(new)
        else:
            old_fields, new_fields = dict(old), dict(new)
        for key in sorted(set(old_fields) | set(new_fields)):
            if old_fields.get(key) != new_fields.get(key):
                changed.append(f"{name}.{key}")
    return changed


def _check_router(config: GatewayConfig) -> None:
    """The whole new config builds a router (strategy, fallbacks, aliases): what would stop a start
    stops the reload. Building one opens no thread, connection or file."""
    from llmrelay.router import Router

    Router(**config.router_kwargs())


class ConfigReloader:
    def __init__(
        self, path: str, catalog: ModelCatalog, started: GatewayConfig, *, signal_parent: bool = False
    ):
        self.path = path
        self.catalog = catalog
        self.started = started
        # with several worker processes, a reload asked of one worker through the route asks the
        # server's parent process to pass SIGHUP on to every worker
        self.signal_parent = signal_parent
        self.status = ReloadStatus(source=path)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[ReloadStatus]] = set()
        self._signal_installed = False

    async def reload(self) -> ReloadStatus:
        """Read, check and apply the file; one reload at a time."""
        async with self._lock:
            now = datetime.now(UTC).isoformat()
            try:
                loaded = await asyncio.to_thread(load_config, self.path)
                _check_router(loaded)
                self.catalog.swap(self.catalog.current, loaded)
            except (ConfigError, LLMError, ValueError) as exc:
                message = exc.message if isinstance(exc, LLMError) else str(exc)
                log.error("config reload refused, the running config is kept: %s", message)
                self.status = msgspec.structs.replace(self.status, state="refused", at=now, error=message,
                                                      refused=self.status.refused + 1)  # fmt: skip
                return self.status
            for warning in loaded.warnings:
                log.warning("%s", warning)
            restart = needs_restart(self.started, loaded)
            if restart:
                log.warning("config reloaded (model_list, credential_list); these settings changed and need "
                            "a restart: %s", ", ".join(restart))  # fmt: skip
            else:
                log.info("config reloaded from %s", self.path)
            self.status = msgspec.structs.replace(
                self.status, state="applied", at=now, error=None, needs_restart=restart,
                applied=self.status.applied + 1,
            )  # fmt: skip
            return self.status

    def view(self) -> dict[str, Any]:
        plain: dict[str, Any] = msgspec.to_builtins(self.status)
        return plain

    async def route(self, req: Request, principal: Principal) -> None:
        """POST /config/reload: admin only; answers the outcome (200 applied, 400 refused)."""
        if not principal.is_admin:
            raise PermissionDeniedError(f"{RELOAD_PATH} needs the master key or an admin", code="not_admin")
        status = await self.reload()
        if self.signal_parent and status.state == "applied":
            os.kill(os.getppid(), signal.SIGHUP)
        req.send_json(200 if status.state == "applied" else 400, JSON_ENCODER.encode(self.view()))

    # ---- SIGHUP, as a worker service

    def _on_hangup(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload(), name="config-reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # only the main thread receives signals (a worker process's loop runs there; a gateway
        # embedded on another thread, as in tests, is reloaded through the route)
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signal.SIGHUP, self._on_hangup)
            self._signal_installed = True
        await self._catch_up()

    async def _catch_up(self) -> None:
        """A worker builds its config from what the server read at start: one started later (or
        started again after a crash) applies the file as it is now, so that every worker serves the
        same models. Checked after the SIGHUP handler is in place, so a signal this worker missed
        while starting is caught up here."""
        try:
            loaded = await asyncio.to_thread(load_config, self.path)
        except ConfigError:
            return  # the next reload asked for says why
        running = self.catalog.config
        if loaded.model_list != running.model_list or loaded.credentials != running.credentials:
            log.info("%s changed since this worker read its config: reloading", self.path)
            await self.reload()

    async def stop(self) -> None:
        if self._signal_installed:
            with contextlib.suppress(ValueError, RuntimeError):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
