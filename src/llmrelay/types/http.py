"""The boundary between pure provider code and the transport: plain HTTP request/response values."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class UpstreamTls(msgspec.Struct, frozen=True, kw_only=True):
    """A deployment's own TLS settings (LiteLLM's `ssl_verify` as a path, `ssl_certificate`): the CA
    bundle its server's certificate must chain to (None: the system's), and the client certificate
    it presents (mutual TLS: one PEM file holding the certificate and its private key)."""

    ca_bundle: str | None = None
    client_certificate: str | None = None


class HttpRequest(msgspec.Struct, kw_only=True):
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    method: str = "POST"
    stream: bool = False
    # the deployment's TLS settings (set by the engine's exchange); None: the system's CA store
    tls: UpstreamTls | None = None

    def __repr__(self) -> str:
        # headers carry credentials: never print them
        return f"HttpRequest({self.method} {self.url}, {len(self.body or b'')} bytes)"


class HttpResponse(msgspec.Struct, kw_only=True):
    status: int
    body: bytes
    # read with lower-case names: a lower-cased dict, or the transport's case-insensitive view
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    """A further exchange one call needs, asked for by an adapter after reading a response: a job
    API's poll (`delay` seconds later) until the job is done, or the stream a first response pointed
    to (a `request` with `stream=True`, which ends the exchanges and is opened as the call's stream)."""

    request: HttpRequest
    delay: float = 0.0
