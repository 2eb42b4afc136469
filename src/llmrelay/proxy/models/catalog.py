"""The model list one gateway worker serves with store_model_in_db: config.yaml's model_list and
credential_list, merged with the models and credentials kept in the database.

Every change — a write through the admin API on any instance (learned from the change log and its
Redis announcement), or a config reload — rebuilds the whole list and hands it to the router, which
checks it and swaps it in as one value (Router.replace_models): calls in flight finish on the
deployments they started with. A list that fails the check leaves the old one serving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.config.credentials import CredentialProblem, credential_values
from llmrelay.config.loader import GatewayConfig
from llmrelay.proxy.state import GatewayState, public_model_info
from llmrelay.storage.records import CREDENTIAL_CHANGE, MODEL_CHANGE, AuthChange
from llmrelay.storage.sealing import Sealer, SealError
from llmrelay.types.errors import BadRequestError

if TYPE_CHECKING:
    # the database's modules only where store_model_in_db is on: a gateway without a database that
    # reloads its file never imports SQLAlchemy
    from llmrelay.storage.repos.models import StoredCredential, StoredModel
    from llmrelay.storage.storage import Storage

log = logging.getLogger("llmrelay.models")


@dataclass(frozen=True, slots=True)
class DbModel:
    """A stored model with its parameters opened: as the admin API was given them."""

    model_id: str
    model_name: str
    litellm_params: dict[str, Any]
    model_info: dict[str, Any]
    stored: StoredModel | None = None  # None: a candidate not written yet

    def entry(self) -> dict[str, Any]:
        """As a model_list entry (its id in model_info, as LiteLLM keeps it)."""
        info = {**self.model_info, "id": self.model_id}
        return {"model_name": self.model_name, "litellm_params": self.litellm_params, "model_info": info}


@dataclass(frozen=True, slots=True)
class DbCredential:
    name: str
    values: dict[str, Any]
    info: dict[str, Any]
    stored: StoredCredential | None = None  # None: a candidate not written yet


@dataclass(slots=True)
class CatalogState:
    """What the catalog serves now: the database's models and credentials (by id and name)."""

    models: dict[str, DbModel] = field(default_factory=dict)
    credentials: dict[str, DbCredential] = field(default_factory=dict)


def _json(raw: bytes) -> dict[str, Any]:
    value = msgspec.json.decode(raw)
    if not isinstance(value, dict):
        raise SealError("a sealed value is no JSON object")
    return value


class ModelCatalog:
    def __init__(
        self,
        router: Any,
        state: GatewayState,
        config: GatewayConfig,
        storage: Storage | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        """Without `storage` (no store_model_in_db) the catalog serves the file's models alone: what
        a config reload swaps."""
        self.router = router
        self.state = state
        self.config = config  # the file's models and credentials: replaced by a config reload
        self.storage = storage
        self.sealer = sealer
        self.current = CatalogState()
        self._lock = asyncio.Lock()

    # ---- what the file holds

    def file_ids(self, config: GatewayConfig | None = None) -> dict[str, str]:
        """The ids of config.yaml's deployments → their model names (read-only through the API)."""
        cfg = config or self.config
        snapshot = self.router.check_models(cfg.router_model_list())
        return {d.id: d.model_name for d in snapshot.groups.deployments}

    def file_credentials(self, config: GatewayConfig | None = None) -> set[str]:
        return {entry.credential_name for entry in (config or self.config).credentials}

    def credential_map(
        self, credentials: Mapping[str, DbCredential] | None = None, config: GatewayConfig | None = None
    ) -> dict[str, dict[str, Any]]:
        """Every credential a deployment may name: the database's, then the file's (which win)."""
        db = self.current.credentials if credentials is None else credentials
        return {**{name: c.values for name, c in db.items()},
                **credential_values((config or self.config).credentials)}  # fmt: skip

    # ---- building and swapping

    def listing(
        self, models: Mapping[str, DbModel], config: GatewayConfig | None = None
    ) -> list[dict[str, Any]]:
        """The merged model list, as given (credentials named, not filled in): the file's first."""
        cfg = config or self.config
        return [*cfg.model_list, *(m.entry() for m in models.values())]

    def check(
        self, state: CatalogState, config: GatewayConfig | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
        """(the listing, the router's list, its snapshot) of `state`; raises BadRequestError when the
        router could not serve it."""
        cfg = config or self.config
        listing = self.listing(state.models, cfg)
        try:
            routed = cfg.router_model_list(listing, self.credential_map(state.credentials, cfg))
            snapshot = self.router.check_models(routed)
        except CredentialProblem as exc:
            raise BadRequestError(exc.problem, param="litellm_params.litellm_credential_name",
                                  code="unknown_credential") from None  # fmt: skip
        except ValueError as exc:  # an alias naming a group no longer served
            raise BadRequestError(str(exc), code="invalid_model") from None
        return listing, routed, snapshot

    def swap(self, state: CatalogState, config: GatewayConfig | None = None) -> None:
        """Serve `state` (and `config`'s file models); raises BadRequestError and keeps the old."""
        cfg = config or self.config
        listing, routed, snapshot = self.check(state, cfg)
        self.router.replace_models(routed)
        self.config, self.current = cfg, state
        db_ids = set(state.models)
        views = public_model_info(listing)
        for view, deployment in zip(views, snapshot.groups.deployments, strict=True):
            view["model_info"] = {
                **view["model_info"],
                "id": deployment.id,
                "db_model": deployment.id in db_ids,
            }
        self.state.model_info = views
        for listener in self.state.models_changed:
            listener()

    # ---- the database

    async def load(self) -> CatalogState:
        """Every stored model and credential, opened; one that does not open is left out (logged)."""
        state = CatalogState()
        if self.storage is None or self.sealer is None:
            return state
        for cred in await self.storage.credentials.list_all():
            try:
                values = _json(self.sealer.open(cred.sealed_values, cred.credential_name))
            except (SealError, msgspec.DecodeError) as exc:
                log.error("stored credential %r left out: %s", cred.credential_name, exc)
                continue
            state.credentials[cred.credential_name] = DbCredential(
                cred.credential_name, values, dict(cred.credential_info or {}), cred
            )
        for model in await self.storage.models.list_all():
            try:
                params = _json(self.sealer.open(model.sealed_params, model.model_id))
            except (SealError, msgspec.DecodeError) as exc:
                log.error("stored model %r (%s) left out: %s", model.model_id, model.model_name, exc)
                continue
            state.models[model.model_id] = DbModel(
                model.model_id, model.model_name, params, dict(model.model_info or {}), model
            )
        return state

    async def refresh(self) -> None:
        """Read the database again and serve what it holds now. Concurrent refreshes run one at a
        time (each reads the latest rows); a list the router refuses keeps the old one (logged)."""
        async with self._lock:
            state = await self.load()
            try:
                self.swap(state)
            except BadRequestError as exc:
                log.error("the database's models were not applied, the previous list keeps serving: %s",
                          exc.message)  # fmt: skip

    async def on_changes(self, changes: list[AuthChange]) -> None:
        """The change log's listener (auth/sync.py): a model or credential changed somewhere."""
        if any(c.kind in (MODEL_CHANGE, CREDENTIAL_CHANGE) for c in changes):
            await self.refresh()

    async def start(self) -> None:
        await self.refresh()

    async def stop(self) -> None:
        return None
