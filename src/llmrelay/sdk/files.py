"""The SDK's files and batches functions, LiteLLM's names and signatures: `create_file`,
`file_retrieve`, `file_list`, `file_content`, `file_delete`, `create_batch`, `retrieve_batch`,
`list_batches`, `cancel_batch`, each with its async twin (`acreate_file`...). They call the
provider's own Files and Batch API directly (OpenAI, Azure OpenAI: providers/files_api.py) with the
credentials passed (`api_key=`, `api_base=`, `api_version=`) or the provider's environment
variables; `custom_llm_provider` picks the provider (default "openai")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from llmrelay.core.scrub import Scrubber
from llmrelay.loop_thread import LoopThread
from llmrelay.providers.files_api import FilesApi, files_api
from llmrelay.providers.multipart import encode_form
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.transport.http import DEFAULT_TIMEOUT, HttpTransport
from llmrelay.types.batches import Batch, BatchList, FileContent, FileDeleted, FileList, FileObject
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.files import as_upload
from llmrelay.types.http import HttpRequest

T = TypeVar("T")
# the keyword arguments read besides each function's own: where the provider is and how to reach it
_DEPLOYMENT_KWARGS = ("api_key", "api_base", "api_version", "organization", "timeout")


class FileCalls:
    def __init__(self, transport: HttpTransport, registry: ProviderRegistry, loop: LoopThread) -> None:
        self.transport = transport
        self.registry = registry
        self.loop = loop

    # ---- files
    async def acreate_file(
        self,
        file: Any,
        purpose: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> FileObject:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        body, content_type = encode_form(
            {"purpose": purpose, **(extra_body or {})}, {"file": as_upload(file, "file")}
        )
        answer = await self._send(deployment, api, "POST", api.url("files"), body, content_type, timeout)
        return _decode(answer, FileObject)

    async def afile_retrieve(
        self,
        file_id: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> FileObject:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        return _decode(
            await self._send(deployment, api, "GET", api.url("files", file_id), None, None, timeout),
            FileObject,
        )

    async def afile_list(
        self,
        custom_llm_provider: str = "openai",
        purpose: str | None = None,
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> FileList:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        url = api.url("files", query=_query({"purpose": purpose}))
        return _decode(await self._send(deployment, api, "GET", url, None, None, timeout), FileList)

    async def afile_content(
        self,
        file_id: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> FileContent:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        url = api.url("files", file_id, "content")
        return FileContent(content=await self._send(deployment, api, "GET", url, None, None, timeout))

    async def afile_delete(
        self,
        file_id: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> FileDeleted:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        answer = await self._send(deployment, api, "DELETE", api.url("files", file_id), None, None, timeout)
        return _decode(answer, FileDeleted)

    # ---- batches
    async def acreate_batch(
        self,
        completion_window: str,
        endpoint: str,
        input_file_id: str,
        custom_llm_provider: str = "openai",
        metadata: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Batch:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        body = {
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "completion_window": completion_window,
            **({"metadata": metadata} if metadata is not None else {}),
            **(extra_body or {}),
        }
        answer = await self._send(
            deployment,
            api,
            "POST",
            api.url("batches"),
            msgspec.json.encode(body),
            "application/json",
            timeout,
        )
        return _decode(answer, Batch)

    async def aretrieve_batch(
        self,
        batch_id: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Batch:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        return _decode(
            await self._send(deployment, api, "GET", api.url("batches", batch_id), None, None, timeout), Batch
        )

    async def alist_batches(
        self,
        after: str | None = None,
        limit: int | None = None,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> BatchList:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        url = api.url("batches", query=_query({"after": after, "limit": limit}))
        return _decode(await self._send(deployment, api, "GET", url, None, None, timeout), BatchList)

    async def acancel_batch(
        self,
        batch_id: str,
        custom_llm_provider: str = "openai",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Batch:
        deployment, api, timeout = self._target(custom_llm_provider, extra_headers, kwargs)
        url = api.url("batches", batch_id, "cancel")
        return _decode(await self._send(deployment, api, "POST", url, None, None, timeout), Batch)

    # ---- sync twins
    def create_file(self, *args: Any, **kwargs: Any) -> FileObject:
        return self.loop.run(self.acreate_file(*args, **kwargs))

    def file_retrieve(self, *args: Any, **kwargs: Any) -> FileObject:
        return self.loop.run(self.afile_retrieve(*args, **kwargs))

    def file_list(self, *args: Any, **kwargs: Any) -> FileList:
        return self.loop.run(self.afile_list(*args, **kwargs))

    def file_content(self, *args: Any, **kwargs: Any) -> FileContent:
        return self.loop.run(self.afile_content(*args, **kwargs))

    def file_delete(self, *args: Any, **kwargs: Any) -> FileDeleted:
        return self.loop.run(self.afile_delete(*args, **kwargs))

    def create_batch(self, *args: Any, **kwargs: Any) -> Batch:
        return self.loop.run(self.acreate_batch(*args, **kwargs))

    def retrieve_batch(self, *args: Any, **kwargs: Any) -> Batch:
        return self.loop.run(self.aretrieve_batch(*args, **kwargs))

    def list_batches(self, *args: Any, **kwargs: Any) -> BatchList:
        return self.loop.run(self.alist_batches(*args, **kwargs))

    def cancel_batch(self, *args: Any, **kwargs: Any) -> Batch:
        return self.loop.run(self.acancel_batch(*args, **kwargs))

    # ---- the exchange
    def _target(
        self, provider: str, extra_headers: Mapping[str, str] | None, kwargs: dict[str, Any]
    ) -> tuple[Deployment, FilesApi, float]:
        deployment, timeout = _deployment(provider, extra_headers, kwargs)
        adapter = self.registry.get(deployment.provider).for_deployment(deployment)
        return deployment, files_api(adapter, deployment), timeout

    async def _send(
        self,
        deployment: Deployment,
        api: FilesApi,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str | None,
        timeout: float,
    ) -> bytes:
        headers = dict(api.headers)
        if content_type is not None:
            headers["content-type"] = content_type
        response = await self.transport.send(
            HttpRequest(url=url, method=method, headers=headers, body=body), timeout
        )
        if response.status >= 400:
            adapter = self.registry.get(deployment.provider).for_deployment(deployment)
            error = adapter.classify_error(response.status, response.headers, response.body)
            scrubber = Scrubber.for_deployment(deployment, api_base=api.base)
            raise Scrubber(secrets=(*scrubber.secrets, *api.headers.values()), hosts=scrubber.hosts).error(
                error
            )
        return response.body


def _deployment(
    provider: str, extra_headers: Mapping[str, str] | None, kwargs: dict[str, Any]
) -> tuple[Deployment, float]:
    unknown = sorted(set(kwargs) - set(_DEPLOYMENT_KWARGS))
    if unknown:
        raise BadRequestError(
            f"files and batches functions take no {', '.join(unknown)} (they take "
            f"{', '.join(_DEPLOYMENT_KWARGS)}, extra_headers, extra_body)",
            param=unknown[0],
        )
    timeout = kwargs.get("timeout")
    deployment = Deployment(
        provider=provider,
        model="",
        api_key=kwargs.get("api_key"),
        api_base=kwargs.get("api_base"),
        api_version=kwargs.get("api_version"),
        organization=kwargs.get("organization"),
        extra_headers=dict(extra_headers) if extra_headers else None,
    )
    return deployment, float(timeout) if timeout is not None else DEFAULT_TIMEOUT


def _query(params: Mapping[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v is not None})


def _decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        from llmrelay.types.errors import BadGatewayError

        raise BadGatewayError(f"the provider's answer is not a {kind.__name__}: {exc}") from None
