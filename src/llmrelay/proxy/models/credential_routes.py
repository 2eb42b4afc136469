"""LiteLLM's credential routes over the database: POST /credentials, GET /credentials,
GET /credentials/{name} (and /credentials/by_name/{name}), PATCH and PUT /credentials/{name},
DELETE /credentials/{name}. Admin only, reads included: a credential's values are secrets (they are
answered masked all the same). Values are stored encrypted (storage/sealing.py). A credential of
config.yaml's credential_list is read-only here."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import unquote

import msgspec

from llmrelay.config.credentials import MAX_CREDENTIAL_VALUES
from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import read_body, send
from llmrelay.proxy.http import Request
from llmrelay.proxy.models.catalog import DbCredential, ModelCatalog
from llmrelay.proxy.models.checks import check_credential_entry
from llmrelay.proxy.models.routes import RELOAD_HINT, actor
from llmrelay.proxy.models.schemas import CredentialChange, NewCredential
from llmrelay.proxy.models.views import credential_view, stored_credential_view
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.sealing import Sealer
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

CREDENTIALS_PREFIX = "/credentials/"
_BY_NAME = "by_name/"
_NAME_CHARS = 200


def _name_in_path(req: Request) -> str:
    name = unquote(req.path[len(CREDENTIALS_PREFIX) :])
    name = name.removeprefix(_BY_NAME) if req.scope.method == "GET" else name
    if not name or len(name) > _NAME_CHARS or not name.isprintable():
        raise BadRequestError(
            f"the credential name in the path must be 1 to {_NAME_CHARS} printable characters",
            param="credential_name",
            code="invalid_credential_name",
        )
    return name


class CredentialRoutes:
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

    def _refuse_file_credential(self, name: str) -> None:
        if name in self.catalog.file_credentials():
            raise BadRequestError(
                f"credential {name!r} is defined in config.yaml's credential_list and read-only through the "
                f"API: {RELOAD_HINT}",
                param="credential_name",
                code="credential_in_config",
            )

    def _checked(self, credential: DbCredential, *, without: str | None = None) -> None:
        entry = {"credential_name": credential.name, "credential_values": credential.values,
                 "credential_info": credential.info}  # fmt: skip
        check_credential_entry(entry, self.general)
        self._check_catalog(credential.name if without is None else without, credential)

    def _check_catalog(self, name: str, replacement: DbCredential | None) -> None:
        """The merged model list still served with this credential changed (or gone)."""
        credentials = {k: v for k, v in self.catalog.current.credentials.items() if k != name}
        if replacement is not None:
            credentials[replacement.name] = replacement
        self.catalog.check(dataclasses.replace(self.catalog.current, credentials=credentials))

    def _seal(self, name: str, values: dict[str, Any]) -> str:
        return self.sealer.seal(msgspec.json.encode(values), name)

    async def _stored(self, name: str) -> DbCredential:
        await self.catalog.refresh()
        found = self.catalog.current.credentials.get(name)
        if found is None:
            raise NotFoundError(
                f"no credential named {name!r} in the database",
                param="credential_name",
                code="credential_not_found",
            )
        return found

    async def new(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, NewCredential)
        self._refuse_file_credential(body.credential_name)
        credential = DbCredential(
            body.credential_name, dict(body.credential_values), dict(body.credential_info or {})
        )
        self._checked(credential)
        try:
            stored = await self.storage.credentials.add(
                credential.name,
                self._seal(credential.name, credential.values),
                credential.info,
                actor(caller),
            )
        except StorageConflict:
            raise BadRequestError(
                f"a credential named {credential.name!r} exists", param="credential_name", code="conflict"
            ) from None
        view = stored_credential_view(dataclasses.replace(credential, stored=stored))
        await self.trail.record(req, caller, "created", "credential", credential.name, after=view)
        send(req, {"success": True, "message": "Credential created successfully"})

    async def list_all(self, req: Request, caller: Caller) -> None:
        # who may read is the permission table's (admins, and viewers: values show as ***)
        await self.catalog.refresh()
        views = [credential_view(e.credential_name, e.credential_values, e.credential_info or {}, "config")
                 for e in self.catalog.config.credentials]  # fmt: skip
        views += [stored_credential_view(c) for c in self.catalog.current.credentials.values()]
        send(req, {"success": True, "credentials": views})

    async def get(self, req: Request, caller: Caller) -> None:
        name = _name_in_path(req)
        for entry in self.catalog.config.credentials:
            if entry.credential_name == name:
                send(
                    req, credential_view(name, entry.credential_values, entry.credential_info or {}, "config")
                )
                return
        send(req, stored_credential_view(await self._stored(name)))

    async def update(self, req: Request, caller: Caller) -> None:
        """PATCH merges the values key by key (a null is no change); PUT replaces them whole."""
        name = _name_in_path(req)
        self._refuse_file_credential(name)
        body = await read_body(req, CredentialChange)
        if body.credential_name is not None and body.credential_name != name:
            raise BadRequestError(
                "a credential is renamed by deleting it and creating the new name",
                param="credential_name",
                code="rename_not_supported",
            )
        old = await self._stored(name)
        given = {k: v for k, v in (body.credential_values or {}).items() if v is not None}
        values = (
            given
            if req.scope.method == "PUT" and body.credential_values is not None
            else {**old.values, **given}
        )
        if len(values) > MAX_CREDENTIAL_VALUES:
            raise BadRequestError(
                f"at most {MAX_CREDENTIAL_VALUES} credential values",
                param="credential_values",
                code="too_many",
            )
        info = {**old.info, **{k: v for k, v in (body.credential_info or {}).items() if v is not None}}
        new = DbCredential(name, values, info)
        self._checked(new, without=name)
        stored = await self.storage.credentials.replace(name, self._seal(name, values), info, actor(caller))
        if stored is None:
            raise NotFoundError(
                f"no credential named {name!r} in the database",
                param="credential_name",
                code="credential_not_found",
            )
        after = stored_credential_view(dataclasses.replace(new, stored=stored))
        await self.trail.record(
            req, caller, "updated", "credential", name, before=stored_credential_view(old), after=after
        )
        send(req, {"success": True, "message": "Credential updated successfully"})

    async def delete(self, req: Request, caller: Caller) -> None:
        name = _name_in_path(req)
        self._refuse_file_credential(name)
        old = await self._stored(name)
        self._check_catalog(name, None)  # a deployment naming it refuses the delete
        if not await self.storage.credentials.delete(name):
            raise NotFoundError(
                f"no credential named {name!r} in the database",
                param="credential_name",
                code="credential_not_found",
            )
        await self.trail.record(
            req, caller, "deleted", "credential", name, before=stored_credential_view(old)
        )
        send(req, {"success": True, "message": "Credential deleted successfully"})
