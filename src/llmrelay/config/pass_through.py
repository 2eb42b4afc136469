"""`general_settings.pass_through_endpoints` (LiteLLM's spelling): custom routes the gateway
forwards to a fixed target. The fields users rely on are implemented; LiteLLM's others are refused
at startup, naming the field, rather than accepted and ignored."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

# LiteLLM fields llmrelay does not implement: a config naming one does not start
REFUSED_FIELDS = {
    "guardrails": "no guardrails on pass-through endpoints",
    "is_from_config": "a LiteLLM-internal marker",
}
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# the provider routes' first path segments (proxy/passthrough/routes.py): no custom path below them
PROVIDER_SEGMENTS = frozenset(
    {"anthropic", "openai", "gemini", "vertex_ai", "vertex-ai", "bedrock", "cohere"}
)


class PassThroughEndpoint(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One custom route: requests to `path` (and below it, with `include_subpath`) go to `target`,
    with `headers` added (values may be `os.environ/NAME`, resolved at load)."""

    path: str
    target: str
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    # forward the client's own headers too (hop-by-hop and credential headers are never forwarded)
    forward_headers: bool = False
    include_subpath: bool = False
    # LiteLLM's default: no key needed. true: a virtual key (or the master key) is required
    auth: bool = False
    # USD billed per call to the calling key (0: logged at cost 0)
    cost_per_request: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 0.0
    # the methods served; None = GET, POST, PUT, PATCH, DELETE
    methods: list[str] | None = None
    # seconds for the upstream's answer head (None: 600)
    timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] | None = None
    id: str | None = None
    guardrails: Any = None
    is_from_config: Any = None

    def __post_init__(self) -> None:
        for name, why in REFUSED_FIELDS.items():
            if getattr(self, name) is not None:
                raise ValueError(f"{name}: not supported by llmrelay ({why})")
        if not self.path.startswith("/") or "?" in self.path or "#" in self.path:
            raise ValueError(f"path: expected an absolute route such as /my-service, got {self.path!r}")
        self.path = self.path.rstrip("/") or "/"
        if self.path == "/":
            raise ValueError("path: '/' would take over every route of the gateway")
        if self.path.split("/")[1] in PROVIDER_SEGMENTS:
            raise ValueError(f"path: {self.path} is below a provider's pass-through route")
        if not self.target.startswith(("http://", "https://")):
            raise ValueError(f"target: expected an http(s) URL, got {self.target!r}")
        if self.methods is not None:
            upper = [m.upper() for m in self.methods]
            unknown = sorted(set(upper) - METHODS)
            if unknown or not upper:
                known = ", ".join(sorted(METHODS))
                raise ValueError(f"methods: expected some of {known}, got {self.methods!r}")
            self.methods = upper

    def serves(self, method: str) -> bool:
        return method in (self.methods or METHODS)
