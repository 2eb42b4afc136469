"""`general_settings.pass_through_endpoints`: custom routes forwarded to a fixed target (LiteLLM's).

`path` → `target` (with `include_subpath`, what follows the path is appended to the target), the
configured `headers` added (over the client's, which go too only with `forward_headers`), the
client's query kept. `auth: true` asks for a virtual key (then the call is gated, rate limited and
logged, at `cost_per_request`); LiteLLM's default `auth: false` leaves the route open."""

from __future__ import annotations

from llmrelay.calls.principal import ANONYMOUS
from llmrelay.config.pass_through import PassThroughEndpoint
from llmrelay.core.scrub import Scrubber
from llmrelay.proxy.http import Request
from llmrelay.proxy.passthrough.billing import Metered, PassThroughBilling
from llmrelay.proxy.passthrough.forward import exchange
from llmrelay.proxy.passthrough.upstream import forwarded_headers, forwarded_query
from llmrelay.proxy.state import Authenticate
from llmrelay.transport.http import HttpTransport
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError
from llmrelay.types.http import HttpRequest

MICROS_PER_USD = 1_000_000


class MethodNotAllowed(LLMError):
    status_code = 405
    error_type = "invalid_request_error"


class CustomEndpoint:
    def __init__(
        self,
        endpoint: PassThroughEndpoint,
        transport: HttpTransport,
        billing: PassThroughBilling,
        body_limit: int,
    ) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.billing = billing
        self.body_limit = body_limit
        self.cost_micros = round(endpoint.cost_per_request * MICROS_PER_USD)
        # an error answer must not show the configured headers' values (keys) nor the target's host
        secrets = Deployment(provider="custom", model="", extra_headers=dict(endpoint.headers))
        self.scrubber = Scrubber.for_deployment(secrets, api_base=endpoint.target)

    def matches(self, path: str) -> bool:
        """Whether this endpoint answers `path` (for any method: a wrong one is refused here)."""
        own = self.endpoint.path
        return path == own or (self.endpoint.include_subpath and path.startswith(own + "/"))

    async def __call__(self, req: Request, authenticate: Authenticate) -> None:
        endpoint = self.endpoint
        principal = await authenticate(req.header, True) if endpoint.auth else ANONYMOUS
        method = req.scope.method
        if not endpoint.serves(method):
            # RFC 9110: a 405 says which methods the path does take
            req.response_headers.append(("allow", ", ".join(endpoint.methods or ())))
            raise MethodNotAllowed(f"method {method} not allowed on {req.path}", code="method_not_allowed")
        subpath = req.path[len(endpoint.path) :]
        body = await req.body(self.body_limit)
        headers = forwarded_headers(req.scope.headers.items()) if endpoint.forward_headers else {}
        content_type = req.header("content-type")
        if content_type and "content-type" not in headers:
            headers["content-type"] = content_type
        headers.update({name.lower(): value for name, value in endpoint.headers.items()})
        # the target as configured, what follows the route's path appended (include_subpath)
        url = endpoint.target.rstrip("/") + subpath if subpath else endpoint.target
        query = forwarded_query(req.scope.query_string)
        if query:
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        metered = Metered(None, None, None, req.path)
        pass_ = await self.billing.admit(principal, metered, stream=False) if endpoint.auth else None
        try:
            request = HttpRequest(url=url, method=method, headers=headers, body=body or None)
            outcome = await exchange(req, request, self.transport, self.scrubber, None, endpoint.timeout)
        except LLMError as error:
            await self.billing.refused(pass_, error)
            raise
        except BaseException:
            self.billing.abandoned(pass_)
            raise
        await self.billing.end(pass_, metered, outcome, self._price)

    def _price(self, _: object) -> int:
        return self.cost_micros
