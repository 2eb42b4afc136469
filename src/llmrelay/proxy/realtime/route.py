"""`GET /v1/realtime?model=<group>` (and `/realtime`): the Realtime API's WebSocket, proxied to an
OpenAI or Azure OpenAI deployment of the group.

At the upgrade, before anything is accepted: the key (the app's edge, proxy/app.py), the model
asked for, the key's access to it, its budgets and limits (one reservation; the parallel slot is
held for the session's life), then the upstream's socket opened with the gateway's own credential.
Every refusal is the upgrade's HTTP status (RSGI has no other way to refuse one: proxy/websocket.py).
Then the client's socket is accepted and the session relayed (session.py) until either side ends it."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from urllib.parse import parse_qs

from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.core.credentials import TokenCache
from llmrelay.core.scrub import Scrubber
from llmrelay.cost.realtime import RealtimeTokens, realtime_cost_micros
from llmrelay.engine.pricing import Pricer
from llmrelay.gate.admission import CallInfo, GroupNames, Session, SessionGate
from llmrelay.gate.stored_fields import check_call_fields
from llmrelay.providers.base import Provider
from llmrelay.providers.openai.realtime import (
    BETA_HEADER,
    BETA_VALUE,
    RealtimeTarget,
    realtime_target,
    usage_of,
)
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.http import RequestIds, RSGIScope
from llmrelay.proxy.realtime.session import Bounds, End, RealtimeSession
from llmrelay.proxy.websocket import RSGIWebsocketProto
from llmrelay.transport.http import HttpTransport
from llmrelay.transport.websocket import UpstreamSocket, open_websocket
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, LLMError, NotFoundError
from llmrelay.types.http import HttpRequest

log = logging.getLogger("llmrelay.proxy")
CALL_TYPE = "realtime"
# a crashed worker's parallel slots outlive the longest session by this much at most
LEASE_MARGIN = 60.0
CONNECT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class RealtimeDeployment:
    id: str
    group: str
    target: Deployment
    weight: float


class RealtimeRoute:
    def __init__(
        self,
        *,
        groups: dict[str, list[RealtimeDeployment]],
        names: GroupNames,
        known: frozenset[str],
        registry: ProviderRegistry,
        pricer: Pricer,
        transport: HttpTransport,
        gate: SessionGate | None,
        bounds: Bounds,
    ) -> None:
        self._groups = groups
        self._names = names
        self._known = known
        self._registry = registry
        self._pricer = pricer
        self._transport = transport
        self._tokens = TokenCache(transport.send)
        self._gate = gate
        self._bounds = bounds
        self._ids = RequestIds()

    async def __call__(self, scope: RSGIScope, proto: RSGIWebsocketProto, principal: Principal) -> None:
        session: Session | None = None
        try:
            try:
                model = _model_of(scope.query_string)
                check_call_fields(model, None)
                alias_of = self._names.alias_target(model)
                if self._gate is not None:
                    # the key first, as for every call: a key may not learn which groups exist
                    info = CallInfo(CALL_TYPE, model, None, True, alias_of)
                    session = await self._gate.admit_session(
                        principal, info, self._bounds.max_seconds + LEASE_MARGIN
                    )
                candidates = self._candidates(alias_of or model, model)
                beta = (scope.headers.get(BETA_HEADER) or "").strip().lower() == BETA_VALUE
                upstream, chosen = await self._open(candidates, beta)
            except LLMError as error:
                log.info("realtime upgrade refused: %s", error.message)
                proto.close(error.status_code)
                return
            await self._serve(proto, upstream, chosen, session)
        finally:
            if session is not None:
                session.released()

    async def _serve(
        self, proto: RSGIWebsocketProto, upstream: UpstreamSocket, chosen: RealtimeDeployment,
        session: Session | None,
    ) -> None:  # fmt: skip
        try:
            client = await proto.accept()
        except RuntimeError:  # the client left during the upgrade
            await upstream.close()
            return
        deployment = chosen.target
        adapter = self._adapter(deployment)
        info = self._pricer.model_info(deployment, adapter)
        served = Served(
            provider=deployment.provider, model=deployment.qualified_model, deployment_id=chosen.id,
            model_group=chosen.group,
        )  # fmt: skip

        async def bill(tokens: RealtimeTokens) -> None:
            if session is None:
                return
            cost = realtime_cost_micros(tokens, info) if info is not None else 0
            await session.billed(usage_of(tokens), served.with_cost(cost))

        relay = RealtimeSession(
            client, upstream, bounds=self._bounds, bill=bill, session=session,
            scrubber=_scrubber(adapter, deployment), event_id="event_" + self._ids.next(),
        )  # fmt: skip
        end: End = await relay.run()
        log.debug("realtime session ended: %s", end.why)
        proto.close(end.code)

    def _candidates(self, group: str, asked: str) -> list[RealtimeDeployment]:
        deployments = self._groups.get(group)
        if deployments is None:
            if group in self._known:
                raise BadRequestError(
                    f"model {asked!r} has no OpenAI or Azure OpenAI deployment: the Realtime API is "
                    "served only by those",
                    param="model",
                    code="realtime_not_supported",
                )
            raise NotFoundError(f"model {asked!r} is not served by this gateway", param="model")
        # a weighted shuffle (LiteLLM's simple-shuffle weights): the order they are tried in
        return sorted(deployments, key=lambda d: random.random() ** (1.0 / d.weight), reverse=True)

    async def _open(
        self, candidates: list[RealtimeDeployment], beta: bool
    ) -> tuple[UpstreamSocket, RealtimeDeployment]:
        """The first deployment whose socket opens; the last failure when none does."""
        failure: LLMError | None = None
        for candidate in candidates:
            try:
                target = await self._target(candidate.target, beta)
                socket = await open_websocket(
                    target.url, target.headers,
                    max_message_bytes=self._bounds.max_message_bytes, connect_timeout=CONNECT_TIMEOUT,
                    tls=candidate.target.tls,
                )  # fmt: skip
            except LLMError as error:
                log.warning("realtime upstream %s did not open: %s", candidate.id, error.message)
                failure = error
                continue
            return socket, candidate
        assert failure is not None  # candidates is never empty
        raise failure

    async def _target(self, deployment: Deployment, beta: bool) -> RealtimeTarget:
        adapter = self._adapter(deployment)
        grant = adapter.token_grant(deployment)
        if grant is None:
            return realtime_target(adapter, deployment, beta=beta)
        # a token grant (Azure's Microsoft Entra ID app registration): the adapter puts its token on
        token, _ = await self._tokens.token(grant)
        target = realtime_target(adapter, deployment, beta=beta)
        authorized = adapter.authorize(HttpRequest(url=target.url, headers=dict(target.headers)), token)
        return RealtimeTarget(target.url, authorized.headers)

    def _adapter(self, deployment: Deployment) -> Provider:
        return self._registry.get(deployment.provider).for_deployment(deployment)


def _scrubber(adapter: Provider, deployment: Deployment) -> Scrubber:
    try:
        key: str | None = adapter.api_key(deployment)
    except LLMError:
        key = None
    return Scrubber.for_deployment(deployment, api_key=key, api_base=adapter.api_base(deployment))


def _model_of(query: str) -> str:
    """The one query parameter the route takes. Any other (LiteLLM's `intent` and `guardrails`,
    the SIP `call_id`) is refused by name rather than dropped unnoticed."""
    params = parse_qs(query, keep_blank_values=True)
    others = sorted(name for name in params if name != "model")
    if others:
        raise BadRequestError(
            f"unsupported query parameter {others[0]!r}: /v1/realtime takes `model` only",
            param=others[0][:64],
            code="unsupported_parameter",
        )
    values = params.get("model", [])
    if len(values) != 1 or not values[0]:
        raise BadRequestError("`model` is required: /v1/realtime?model=<model>", param="model")
    return values[0]
