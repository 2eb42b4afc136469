"""LiteLLM's model management routes over the database (store_model_in_db): POST /model/new,
POST /model/update, PATCH /model/{id}/update, POST /model/delete. Admin only (the permission table
gives owners none of them, proxy/admin/permissions.py).

A write is checked before it is stored — the entry as config.yaml's are (checks.py), then the whole
merged list as the router would serve it (a fallback or alias that would lose its group refuses the
change) — then stored, then applied: on this worker before the answer (the change log's listener),
on every other worker and instance within a second (the change log poll and its Redis
announcement). A model of config.yaml is read-only here: change the file and reload it."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import msgspec

from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import read_body, send
from llmrelay.proxy.admin.schemas import ID_CHARS
from llmrelay.proxy.http import Request
from llmrelay.proxy.models.catalog import CatalogState, DbModel, ModelCatalog
from llmrelay.proxy.models.checks import OWN_INFO_KEYS, check_model_entry
from llmrelay.proxy.models.schemas import ModelChange, ModelRef, NewModel
from llmrelay.proxy.models.views import model_view
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.sealing import Sealer
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

MODEL_PREFIX = "/model/"
_UPDATE_SUFFIX = "/update"
RELOAD_HINT = "change config.yaml and reload it (SIGHUP or POST /config/reload)"


def actor(caller: Caller) -> str | None:
    """Who the row says created or changed it: the caller's user, or proxy_admin (the master key)."""
    return caller.user_id or ("proxy_admin" if caller.is_admin else None)


def _model_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > ID_CHARS or not value.isprintable():
        raise BadRequestError(
            f"{field} must be a string of 1 to {ID_CHARS} printable characters",
            param=field,
            code="invalid_model_id",
        )
    return value


def _given(values: dict[str, Any] | None) -> dict[str, Any]:
    """The keys an update sets: a null is no change (LiteLLM drops them too)."""
    return {k: v for k, v in (values or {}).items() if v is not None}


def _own_info(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in OWN_INFO_KEYS and k != "id"}


class ModelRoutes:
    def __init__(
        self,
        catalog: ModelCatalog,
        storage: Storage,
        sealer: Sealer,
        trail: AuditTrail,
        general: GeneralSettings,
    ) -> None:
        self.catalog = catalog
        self.storage = storage
        self.sealer = sealer
        self.trail = trail
        self.general = general

    def _refuse_file_model(self, model_id: str) -> None:
        name = self.catalog.file_ids().get(model_id)
        if name is not None:
            raise BadRequestError(
                f"model {model_id!r} ({name}) is defined in config.yaml and read-only through the API: "
                + RELOAD_HINT,
                param="id",
                code="model_in_config",
            )

    def _checked(self, model: DbModel, without: str | None = None) -> None:
        """The entry as config.yaml's, then the merged list with it as the router would serve it."""
        check_model_entry(model.entry(), self.catalog.credential_map(), self.general)
        models = {k: v for k, v in self.catalog.current.models.items() if k != without}
        models[model.model_id] = model
        self.catalog.check(dataclasses.replace(self.catalog.current, models=models))

    def _seal(self, model_id: str, params: dict[str, Any]) -> str:
        return self.sealer.seal(msgspec.json.encode(params), model_id)

    async def _stored(self, model_id: str) -> DbModel:
        await self.catalog.refresh()  # the database's row, not what this worker last heard
        found = self.catalog.current.models.get(model_id)
        if found is None:
            raise NotFoundError(
                f"no model with id {model_id!r} in the database", param="id", code="model_not_found"
            )
        return found

    async def new(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, NewModel)
        info = dict(body.model_info or {})
        model_id = _model_id(info.pop("id", None) or str(uuid.uuid4()), "model_info.id")
        self._refuse_file_model(model_id)
        model = DbModel(model_id, body.model_name, dict(body.litellm_params), _own_info(info))
        self._checked(model)
        try:
            stored = await self.storage.models.add(
                model_id,
                model.model_name,
                self._seal(model_id, model.litellm_params),
                model.model_info,
                actor(caller),
            )
        except StorageConflict:
            raise BadRequestError(
                f"a model with id {model_id!r} exists", param="model_info.id", code="conflict"
            ) from None
        created = dataclasses.replace(model, stored=stored)
        await self.trail.record(req, caller, "created", "model", model_id, after=model_view(created))
        send(req, model_view(created))

    async def update(self, req: Request, caller: Caller) -> None:
        """POST /model/update: model_info.id names the model."""
        body = await read_body(req, ModelChange)
        model_id = _model_id((body.model_info or {}).get("id"), "model_info.id")
        await self._update(req, caller, model_id, body)

    async def patch(self, req: Request, caller: Caller) -> None:
        """PATCH /model/{id}/update."""
        rest = req.path[len(MODEL_PREFIX) :]
        if not rest.endswith(_UPDATE_SUFFIX):
            raise NotFoundError(f"no route PATCH {req.path}", code="not_found")
        from urllib.parse import unquote

        model_id = _model_id(unquote(rest[: -len(_UPDATE_SUFFIX)]), "id")
        await self._update(req, caller, model_id, await read_body(req, ModelChange))

    async def _update(self, req: Request, caller: Caller, model_id: str, body: ModelChange) -> None:
        self._refuse_file_model(model_id)
        old = await self._stored(model_id)
        new = dataclasses.replace(
            old,
            model_name=body.model_name or old.model_name,
            litellm_params={**old.litellm_params, **_given(body.litellm_params)},
            model_info={**old.model_info, **_own_info(_given(body.model_info))},
            stored=None,
        )
        self._checked(new, without=model_id)
        stored = await self.storage.models.replace(
            model_id, new.model_name, self._seal(model_id, new.litellm_params), new.model_info, actor(caller)
        )
        if stored is None:  # deleted since it was read
            raise NotFoundError(
                f"no model with id {model_id!r} in the database", param="id", code="model_not_found"
            )
        updated = dataclasses.replace(new, stored=stored)
        after = model_view(updated)
        await self.trail.record(
            req, caller, "updated", "model", model_id, before=model_view(old), after=after
        )
        send(req, after)

    async def delete(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, ModelRef)
        self._refuse_file_model(body.id)
        old = await self._stored(body.id)
        models = {k: v for k, v in self.catalog.current.models.items() if k != body.id}
        # a fallback or an alias naming a group this empties refuses the delete
        self.catalog.check(CatalogState(models=models, credentials=self.catalog.current.credentials))
        if not await self.storage.models.delete(body.id):
            raise NotFoundError(
                f"no model with id {body.id!r} in the database", param="id", code="model_not_found"
            )
        await self.trail.record(req, caller, "deleted", "model", body.id, before=model_view(old))
        send(req, {"message": f"Model: {body.id} deleted successfully"})
