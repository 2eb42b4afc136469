"""Putting the files and batches routes into a gateway worker with virtual keys (their objects'
owners and ids live in the key runtime's database), under `/v1/...` and LiteLLM's unprefixed paths.

What serves them (the upstream client, the targets from the model list, billing) is built by the
first request or poll tick: every gateway with keys installs these routes, few receive any, and an
idle worker should not hold what they need (tests/cli/test_idle_memory.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.config.loader import GatewayConfig
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.proxy.files.poller import BatchPoller
from llmrelay.proxy.http import Request
from llmrelay.proxy.openapi import Param, RouteDoc
from llmrelay.proxy.state import GatewayState
from llmrelay.types.files import FileUpload

if TYPE_CHECKING:
    from llmrelay.proxy.files.batch_reader import UnsettledPages
    from llmrelay.proxy.files.batch_routes import BatchRoutes
    from llmrelay.proxy.files.file_routes import FileRoutes

TAG = "Files and batches"
# an upstream's answer to one files or batches call, and each piece of an upload or a download
UPSTREAM_TIMEOUT = 600.0
Handler = Callable[[Request, Principal], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Served:
    files: FileRoutes
    batches: BatchRoutes
    pages: UnsettledPages


class _OnFirstUse:
    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], _Served]) -> None:
        self._build = build
        self._built: _Served | None = None

    def get(self) -> _Served:
        if self._built is None:
            self._built = self._build()
        return self._built


def install_files(state: GatewayState, config: GatewayConfig, runtime: KeysRuntime, router: Any) -> None:
    served = _OnFirstUse(lambda: _build(state, config, runtime, router))

    def route(pick: Callable[[_Served], Handler]) -> Handler:
        async def handle(req: Request, principal: Principal) -> None:
            await pick(served.get())(req, principal)

        return handle

    for base in ("/v1", ""):
        state.extra_routes += [
            ("POST", f"{base}/files", route(lambda s: s.files.upload)),
            ("GET", f"{base}/files", route(lambda s: s.files.list_files)),
            ("POST", f"{base}/batches", route(lambda s: s.batches.create)),
            ("GET", f"{base}/batches", route(lambda s: s.batches.list_batches)),
        ]
        state.extra_prefix_routes += [
            ("GET", f"{base}/files/", route(lambda s: s.files.one)),
            ("DELETE", f"{base}/files/", route(lambda s: s.files.one)),
            ("GET", f"{base}/batches/", route(lambda s: s.batches.one)),
            ("POST", f"{base}/batches/", route(lambda s: s.batches.one)),
        ]
    # the batches nobody read after they ended: billed by the poll
    state.services.append(
        BatchPoller(lambda: served.get().pages.next(), config.general.proxy_batch_polling_interval)
    )
    state.extra_openapi.update(files_docs())


def _build(state: GatewayState, config: GatewayConfig, runtime: KeysRuntime, router: Any) -> _Served:
    from llmrelay.cost.catalog import Catalog
    from llmrelay.engine.pricing import Pricer
    from llmrelay.providers.registry import ProviderRegistry
    from llmrelay.proxy.files.access import FilesGate
    from llmrelay.proxy.files.batch_reader import UnsettledPages
    from llmrelay.proxy.files.batch_routes import BatchRoutes
    from llmrelay.proxy.files.billing import BatchBilling
    from llmrelay.proxy.files.context import FilesContext
    from llmrelay.proxy.files.file_routes import FileRoutes
    from llmrelay.proxy.files.targets import FilesTargets
    from llmrelay.proxy.files.upstream import FilesUpstream
    from llmrelay.storage.repos.base import utc_now
    from llmrelay.transport.http import HttpTransport

    engine = getattr(router, "engine", None)
    registry = engine.registry if engine is not None else ProviderRegistry()
    catalog = engine.catalog if engine is not None else Catalog()
    transport = engine.transport if engine is not None else HttpTransport()
    targets = FilesTargets(config.model_list, registry, catalog)
    settings = config.general
    repo = runtime.storage.files
    pricer = Pricer(registry, catalog)
    ctx = FilesContext(
        repo=repo,
        targets=targets,
        upstream=FilesUpstream(registry, transport, UPSTREAM_TIMEOUT),
        gate=FilesGate(state.call_gate),
        billing=BatchBilling(repo, runtime.gate.spend, targets, pricer, settings.max_body_bytes(), utc_now),
        max_file_bytes=settings.max_file_bytes(),
        max_line_bytes=settings.max_body_bytes(),
        body_limit=settings.max_body_bytes(),
        body_timeout=settings.request_body_timeout_seconds,
        clock=utc_now,
    )
    batches = BatchRoutes(ctx)
    return _Served(FileRoutes(ctx), batches, UnsettledPages(batches.reader))


class FileForm(msgspec.Struct, kw_only=True):
    """POST /v1/files: OpenAI's form (its fields before the file), and LiteLLM's choosers."""

    purpose: Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
    file: FileUpload
    custom_llm_provider: Literal["openai", "azure"] | None = None
    model: str | None = None


class BatchCreate(msgspec.Struct, kw_only=True):
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None = None
    custom_llm_provider: Literal["openai", "azure"] | None = None
    # LiteLLM's: a model group served where the input file went (checked against the key, not sent)
    model: str | None = None


def files_docs() -> dict[tuple[str, str], RouteDoc]:
    page = (Param("after"), Param("limit", Any, "1 to 100 (files: to 10000, 100 a page)"))
    file_id = (Param("file_id", str, where="path", required=True),)
    batch_id = (Param("batch_id", str, where="path", required=True),)
    return {
        ("POST", "/v1/files"): RouteDoc(
            "Upload a file (streamed to the provider; a batch file's lines checked on the way)", TAG,
            body=FileForm, body_content_type="multipart/form-data", errors=(400, 404, 413),
        ),
        ("GET", "/v1/files"): RouteDoc(
            "The caller's files, newest first", TAG,
            params=(*page, Param("purpose"), Param("order", Literal["asc", "desc"]),
                    Param("custom_llm_provider")),
        ),
        ("GET", "/v1/files/{file_id}"): RouteDoc(
            "One of the caller's files; `/{file_id}/content`: its bytes", TAG, params=file_id,
            errors=(400, 404),
        ),
        ("DELETE", "/v1/files/{file_id}"): RouteDoc(
            "Delete one of the caller's files", TAG, params=file_id, errors=(400, 404),
        ),
        ("POST", "/v1/batches"): RouteDoc(
            "Create a batch from one of the caller's files (every line's model one the key may use)", TAG,
            body=BatchCreate, errors=(400, 404),
        ),
        ("GET", "/v1/batches"): RouteDoc(
            "The caller's batches, newest first", TAG, params=(*page, Param("custom_llm_provider")),
        ),
        ("GET", "/v1/batches/{batch_id}"): RouteDoc(
            "One of the caller's batches (billed at batch prices once it is final)", TAG, params=batch_id,
            errors=(400, 404),
        ),
        ("POST", "/v1/batches/{batch_id}"): RouteDoc(
            "`/{batch_id}/cancel`: cancel one of the caller's batches", TAG, params=batch_id,
            errors=(400, 404),
        ),
    }  # fmt: skip
