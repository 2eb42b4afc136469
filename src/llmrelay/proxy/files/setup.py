"""Putting the files and batches routes into a gateway worker with virtual keys (their objects'
owners and ids live in the key runtime's database), under `/v1/...` and LiteLLM's unprefixed paths."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from llmrelay.config.loader import GatewayConfig
from llmrelay.cost.catalog import Catalog
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.openapi import Param, RouteDoc
from llmrelay.proxy.state import GatewayState
from llmrelay.transport.http import HttpTransport
from llmrelay.types.files import FileUpload

TAG = "Files and batches"
# an upstream's answer to one files or batches call, and each piece of an upload or a download
UPSTREAM_TIMEOUT = 600.0


def install_files(state: GatewayState, config: GatewayConfig, runtime: KeysRuntime, router: Any) -> None:
    from llmrelay.engine.pricing import Pricer
    from llmrelay.proxy.files.access import FilesGate
    from llmrelay.proxy.files.batch_routes import BatchRoutes
    from llmrelay.proxy.files.billing import BatchBilling
    from llmrelay.proxy.files.context import FilesContext
    from llmrelay.proxy.files.file_routes import FileRoutes
    from llmrelay.proxy.files.poller import BatchPoller
    from llmrelay.proxy.files.targets import FilesTargets
    from llmrelay.proxy.files.upstream import FilesUpstream
    from llmrelay.storage.repos.base import utc_now

    engine = getattr(router, "engine", None)
    registry: ProviderRegistry = engine.registry if engine is not None else ProviderRegistry()
    catalog: Catalog = engine.catalog if engine is not None else Catalog()
    transport: HttpTransport = engine.transport if engine is not None else HttpTransport()
    targets = FilesTargets(config.model_list, registry, catalog)
    settings = config.general
    repo = runtime.storage.files
    ctx = FilesContext(
        repo=repo,
        targets=targets,
        upstream=FilesUpstream(registry, transport, UPSTREAM_TIMEOUT),
        gate=FilesGate(state.call_gate),
        billing=BatchBilling(
            repo, runtime.gate.spend, targets, Pricer(registry, catalog), settings.max_body_bytes(), utc_now
        ),
        max_file_bytes=settings.max_file_bytes(),
        max_line_bytes=settings.max_body_bytes(),
        body_limit=settings.max_body_bytes(),
        body_timeout=settings.request_body_timeout_seconds,
        clock=utc_now,
    )
    files, batches = FileRoutes(ctx), BatchRoutes(ctx)
    # the batches nobody read after they ended: billed by the poll
    state.services.append(BatchPoller(repo, batches.reader, settings.proxy_batch_polling_interval))
    for base in ("/v1", ""):
        state.extra_routes += [
            ("POST", f"{base}/files", files.upload),
            ("GET", f"{base}/files", files.list_files),
            ("POST", f"{base}/batches", batches.create),
            ("GET", f"{base}/batches", batches.list_batches),
        ]
        state.extra_prefix_routes += [
            ("GET", f"{base}/files/", files.one),
            ("DELETE", f"{base}/files/", files.one),
            ("GET", f"{base}/batches/", batches.one),
            ("POST", f"{base}/batches/", batches.one),
        ]
    state.extra_openapi.update(files_docs())


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
        ("GET", "/v1/batches"): RouteDoc("The caller's batches, newest first", TAG, params=page),
        ("GET", "/v1/batches/{batch_id}"): RouteDoc(
            "One of the caller's batches (billed at batch prices once it is final)", TAG, params=batch_id,
            errors=(400, 404),
        ),
        ("POST", "/v1/batches/{batch_id}"): RouteDoc(
            "`/{batch_id}/cancel`: cancel one of the caller's batches", TAG, params=batch_id,
            errors=(400, 404),
        ),
    }  # fmt: skip
