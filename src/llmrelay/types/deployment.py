"""Where a call goes: one provider model with its credentials and endpoint."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.call_defaults import CallDefaults
from llmrelay.types.http import UpstreamTls
from llmrelay.types.prices import Prices


class Deployment(msgspec.Struct, kw_only=True):
    """A resolved call target. `model` is the provider's own model id (no `provider/` prefix)."""

    provider: str
    model: str
    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    timeout: float | None = None
    stream_timeout: float | None = None
    max_retries: int | None = None
    extra_headers: dict[str, str] | None = None
    organization: str | None = None
    # provider-specific settings (e.g. Azure deployment names, Vertex project); typed by each adapter
    options: dict[str, Any] | None = None
    # the deployment's own prices (config's input_cost_per_token...): they replace the catalog's
    prices: Prices | None = None
    # call parameters sent unless the request sets them (config's temperature, max_tokens...)
    defaults: CallDefaults | None = None
    # LiteLLM's per-deployment drop_params: True drops what the provider cannot take, for this one
    drop_params: bool | None = None
    # LiteLLM's per-deployment mock_response: answer this text (or raise "litellm.<Error>") without
    # calling the upstream
    mock_response: str | None = None
    # LiteLLM's ssl_verify (a CA bundle path) and ssl_certificate (a client certificate): TLS to the
    # upstream; None: the system's CA store, no client certificate
    tls: UpstreamTls | None = None
    # identity for routing, logs and metrics; never contains the key
    id: str | None = None
    model_name: str | None = None

    @property
    def qualified_model(self) -> str:
        return f"{self.provider}/{self.model}"

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return f"Deployment({self.qualified_model}, api_base={self.api_base!r}, api_key={key})"
