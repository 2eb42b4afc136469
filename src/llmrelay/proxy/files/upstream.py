"""The exchanges with a Files and Batch API upstream: a JSON call (its answer whole, bounded), an
upload streamed as a new multipart body, and a file's content opened for relaying.

An upstream's error is classified by the provider's adapter and scrubbed of the gateway's key and
the upstream's host; the upstream's ids in its text are replaced by the gateway's (`ids`)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import msgspec

from llmrelay.core.scrub import Scrubber
from llmrelay.providers.files_api import FilesApi
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.files.form_stream import FilePart
from llmrelay.proxy.files.targets import Target
from llmrelay.transport.bounds import read_bounded
from llmrelay.transport.http import HttpTransport
from llmrelay.types.errors import APIConnectionError, BadGatewayError, LLMError, Timeout

_DECODE = msgspec.json.Decoder(dict[str, Any])
CHUNK = 64 * 1024


class FilesUpstream:
    def __init__(self, registry: ProviderRegistry, transport: HttpTransport, timeout: float) -> None:
        self.registry = registry
        self.transport = transport
        self.timeout = timeout  # each exchange's answer, and each piece of an upload or a download

    async def call(
        self, target: Target, api: FilesApi, method: str, url: str, body: Any = None,
        ids: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """`body` (JSON) sent, the JSON object answered."""
        headers = dict(api.headers)
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = msgspec.json.encode(body)
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._session().request(
                    method, url, data=data, headers=headers, allow_redirects=False
                )
                async with response:
                    answer = await read_bounded(response, self.transport.max_body_bytes)
                    return self._answer(target, api, response.status, response.headers, answer, ids)
        except TimeoutError as exc:
            raise Timeout(f"the upstream did not answer within {self.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc

    async def upload(
        self, target: Target, api: FilesApi, fields: Mapping[str, str], part: FilePart,
        data: AsyncIterator[bytes],
    ) -> dict[str, Any]:  # fmt: skip
        """A new multipart body to `api`'s /files: `fields`, then the file as `data` yields it. An
        exception raised by `data` (a bad line, the size cap) ends the upload and is raised here."""
        boundary = "llmrelay-" + os.urandom(12).hex()
        failure: list[BaseException] = []

        async def body() -> AsyncIterator[bytes]:
            head = b"".join(_field(boundary, name, value) for name, value in fields.items())
            yield head + _file_head(boundary, part)
            try:
                async for piece in data:
                    yield piece
            except BaseException as exc:
                failure.append(exc)
                raise
            yield f"\r\n--{boundary}--\r\n".encode()

        headers = {**api.headers, "content-type": f"multipart/form-data; boundary={boundary}"}
        try:
            response = await self._session().request(
                "POST", api.url("files"), data=body(), headers=headers, allow_redirects=False
            )
            async with response, asyncio.timeout(self.timeout):
                answer = await read_bounded(response, self.transport.max_body_bytes)
                return self._answer(target, api, response.status, response.headers, answer, None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            if failure:
                raise failure[0] from None
            if isinstance(exc, TimeoutError):
                raise Timeout(f"the upstream did not answer within {self.timeout}s") from exc
            raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc
        except LLMError:
            raise
        except Exception:
            if failure:  # aiohttp may wrap what the body raised in another exception
                raise failure[0] from None
            raise

    async def open(
        self, target: Target, api: FilesApi, url: str, ids: Mapping[str, str]
    ) -> aiohttp.ClientResponse:
        """A file's content: the answer's head, its body left to read (an error answer raised)."""
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._session().request(
                    "GET", url, headers=api.headers, allow_redirects=False
                )
        except TimeoutError as exc:
            raise Timeout(f"the upstream did not answer within {self.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc
        if response.status >= 300:
            async with response:
                answer = await read_bounded(response, self.transport.max_body_bytes)
                self._answer(target, api, response.status, response.headers, answer, ids)
        return response

    async def pieces(self, response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        """The rest of `response`'s body, each piece within the timeout."""
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    piece = await response.content.readany()
            except TimeoutError as exc:
                raise Timeout(f"the upstream's answer stalled for {self.timeout}s") from exc
            except aiohttp.ClientError as exc:
                raise APIConnectionError(f"the upstream's answer broke: {type(exc).__name__}") from exc
            if not piece:
                return
            yield piece

    def _session(self) -> aiohttp.ClientSession:
        return self.transport.session()

    def _answer(
        self, target: Target, api: FilesApi, status: int, headers: Mapping[str, str], body: bytes,
        ids: Mapping[str, str] | None,
    ) -> dict[str, Any]:  # fmt: skip
        if 300 <= status < 400:
            raise BadGatewayError(f"the upstream answered a redirect ({status})", code="upstream_redirect")
        if status >= 400:
            adapter = self.registry.get(target.provider).for_deployment(target.deployment)
            error = adapter.classify_error(status, headers, body)
            error.body = None  # the upstream's own body names its ids; the message is rewritten below
            for upstream_id, ours in (ids or {}).items():
                error.message = error.message.replace(upstream_id, ours)
            secrets = tuple(v for v in api.headers.values() if v)
            scrubber = Scrubber.for_deployment(target.deployment, api_base=api.base)
            scrubber = Scrubber(secrets=(*scrubber.secrets, *secrets), hosts=scrubber.hosts)
            raise scrubber.error(error)
        try:
            return _DECODE.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise BadGatewayError(
                "the upstream's answer is not a JSON object", code="bad_upstream_answer"
            ) from None


def _field(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n{value}\r\n'
    ).encode()


def _file_head(boundary: str, part: FilePart) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(part.field)}"; '
        f'filename="{_quoted(part.filename)}"\r\nContent-Type: {_header_safe(part.content_type)}\r\n\r\n'
    ).encode()


def _quoted(value: str) -> str:
    # RFC 7578 §4.2: a quoted name; quotes and line breaks percent-encoded as browsers do
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _header_safe(value: str) -> str:
    return "".join(ch for ch in value if ch >= " " and ch != "\x7f") or "application/octet-stream"
