"""The provider-native routes (`/anthropic/*`, `/openai/*`, `/gemini/*`, `/vertex_ai/*`, `/bedrock/*`,
`/cohere/*`, LiteLLM's spellings): a client speaking a provider's own API (Claude Code, a provider
SDK) reaches that provider through the gateway with a virtual key. The request goes on untouched but
for its credential, which the gateway replaces with its own (access.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

import msgspec

from llmrelay.auth.presented import HeaderGetter
from llmrelay.calls.principal import Principal
from llmrelay.core.credentials import TokenCache
from llmrelay.engine.pricing import Pricer
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.http import Request
from llmrelay.proxy.nesting import check_nesting
from llmrelay.proxy.passthrough.access import ProviderAccess
from llmrelay.proxy.passthrough.billing import Metered, PassThroughBilling
from llmrelay.proxy.passthrough.forward import exchange
from llmrelay.proxy.passthrough.meter import meter_for
from llmrelay.proxy.passthrough.prefixes import ProviderRoute
from llmrelay.proxy.passthrough.upstream import (
    forwarded_headers,
    forwarded_query,
    join_url,
    query_key,
)
from llmrelay.proxy.state import Authenticate
from llmrelay.transport.http import HttpTransport
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, LLMError
from llmrelay.types.http import HttpRequest

_PATH_MODEL = re.compile(r"/models/([^/:]+):")  # Gemini and Vertex AI: .../models/{model}:{action}
_BEDROCK_MODEL = re.compile(r"^/model/([^/]+)/")  # Bedrock runtime: /model/{modelId}/{action}
_STREAMING_ACTIONS = (
    ":streamGenerateContent", ":streamRawPredict", "/converse-stream", "-with-response-stream",
)  # fmt: skip


class UncheckableModel(AuthenticationError):
    """The key gate's refusal type (gate/key_gate.py's, not imported: it brings the database in)."""

    error_type = "key_model_access_denied"


class _Named(msgspec.Struct):
    """What the gate reads of a JSON body: the rest of it is forwarded without being decoded."""

    model: str | None = None
    stream: bool | None = None


_NAMED = msgspec.json.Decoder(_Named)


def client_key_getter(req: Request, route: ProviderRoute) -> HeaderGetter:
    """The request's headers, with a key sent the provider's way presented as `Authorization`."""
    query = req.scope.query_string
    in_query = query_key(query) if route.key_in_query else None
    sent = [v for v in (*(req.header(h) for h in route.key_headers), in_query) if v]
    authorization = req.header("authorization")
    if len(set(sent)) > 1 or (sent and authorization and authorization != f"Bearer {sent[0]}"):
        raise BadRequestError(
            "ambiguous credentials: send one key, in Authorization: Bearer or the provider's key header",
            code="ambiguous_credentials",
        )

    def header(name: str) -> str | None:
        value = req.header(name)
        if name == "authorization" and not value and sent:
            return f"Bearer {sent[0]}"
        return value

    return header


def _is_json(content_type: str | None) -> bool:
    # a body without a content type is read as JSON (curl -d sends form-urlencoded, SDKs send JSON)
    return (content_type or "application/json").startswith("application/json")


def _restricted(principal: Principal) -> bool:
    return principal.key is not None and principal.key.models is not None


def named_in(body: bytes, content_type: str | None) -> _Named:
    """The model (and stream flag) a JSON body names; 400 for a JSON body that is not one."""
    if not body or not _is_json(content_type):
        return _Named()
    check_nesting(body)
    try:
        return _NAMED.decode(body)
    except msgspec.ValidationError as exc:
        field = "stream" if "$.stream" in str(exc) else "model"
        raise BadRequestError(f"invalid request body: {exc}", param=field) from None
    except msgspec.DecodeError:
        raise BadRequestError("the request body is not a JSON object", code="invalid_json") from None


class ProviderRoutes:
    """The handlers of the provider routes of one gateway worker."""

    def __init__(
        self,
        *,
        registry: ProviderRegistry,
        pricer: Pricer,
        transport: HttpTransport,
        billing: PassThroughBilling,
        credentials: Mapping[str, Deployment],
        served_by: Mapping[str, tuple[Deployment, tuple[str, ...]]],
        body_limit: int,
    ) -> None:
        """`credentials`: provider → the deployment whose credential its route uses; `served_by`:
        "provider/model" → a configured deployment of that model and its model groups."""
        self.registry = registry
        self.pricer = pricer
        self.transport = transport
        self.billing = billing
        self.credentials = credentials
        self.served_by = served_by
        self.body_limit = body_limit
        self.tokens = TokenCache(transport.send)

    async def forward(self, req: Request, route: ProviderRoute, authenticate: Authenticate) -> None:
        principal = await authenticate(client_key_getter(req, route), True)
        subpath = req.path[len(route.prefix) :]
        body = await req.body(self.body_limit)
        content_type = req.header("content-type")
        named = named_in(body, content_type)
        # where the path names the model (Gemini, Vertex AI, Bedrock) the upstream reads it there: a
        # `model` in the body would be ignored upstream, so it is not what the key is checked against
        in_path = _model_in_path(route.provider, subpath)
        model = in_path or named.model
        if model is None and body and not _is_json(content_type) and _restricted(principal):
            raise UncheckableModel(
                "a key limited to some models may send only JSON bodies on pass-through routes: the "
                f"model of a {content_type or 'untyped'} body cannot be checked",
                code="401",
            )
        qualified = f"{route.provider}/{model}" if model else None
        configured = self.served_by.get(qualified) if qualified else None
        deployment = configured[0] if configured is not None else self._credential(route.provider)
        group = _group_for(principal, configured[1]) if configured is not None else None
        stream = bool(named.stream) or subpath.endswith(_STREAMING_ACTIONS)
        metered = Metered(route.provider, model, group, req.path)
        pass_ = await self.billing.admit(principal, metered, stream)
        try:
            adapter = self.registry.get(route.provider).for_deployment(deployment)
            access = ProviderAccess(route.prefix, deployment, adapter, self.tokens)
            url = join_url(access.base(), subpath, forwarded_query(req.scope.query_string))
            headers = forwarded_headers(req.scope.headers.items())
            sent = HttpRequest(url=url, method=req.scope.method, headers=headers, body=body or None)
            request = await access.authorize(sent)
            meter = meter_for(self.registry, route.provider, subpath, model)
            scrubber = access.scrubber()
            outcome = await exchange(req, request, self.transport, scrubber, meter, deployment.timeout)
        except LLMError as error:
            await self.billing.refused(pass_, error)
            raise
        except BaseException:
            self.billing.abandoned(pass_)
            raise
        priced = Deployment(provider=route.provider, model=model or "") if configured is None else deployment
        await self.billing.end(pass_, metered, outcome, lambda usage: self.pricer.price(usage, priced))

    def _credential(self, provider: str) -> Deployment:
        found = self.credentials.get(provider)
        # none configured: the adapter reads the provider's environment variables
        return found if found is not None else Deployment(provider=provider, model="")


def _model_in_path(provider: str, subpath: str) -> str | None:
    if provider in ("gemini", "vertex_ai"):
        found = _PATH_MODEL.search(subpath)
        return found.group(1) if found else None
    if provider == "bedrock":
        found = _BEDROCK_MODEL.match(subpath)
        return unquote(found.group(1)) if found else None
    return None


def _group_for(principal: Principal, groups: tuple[str, ...]) -> str | None:
    """The model group a call naming a configured model counts as: one the key may use, if any."""
    key = principal.key
    for group in groups:
        if key is None or key.may_use(group):
            return group
    return groups[0] if groups else None
