"""The OpenAPI descriptions of the model, credential and reload routes (the bodies are the Structs
the handlers decode)."""

from __future__ import annotations

import msgspec

from llmrelay.proxy.models.schemas import CredentialChange, ModelChange, ModelRef, NewCredential, NewModel
from llmrelay.proxy.openapi import Param, RouteDoc

_ERRORS = (400, 404)
_NAME = (Param("name", description="the credential's name", where="path"),)


def _doc(summary: str, body: type[msgspec.Struct] | None = None, params: tuple[Param, ...] = ()) -> RouteDoc:
    optional = body is not None and not any(f.required for f in msgspec.structs.fields(body))
    return RouteDoc(summary, "Models", body=body, params=params, errors=_ERRORS, body_optional=optional)


def model_docs() -> dict[tuple[str, str], RouteDoc]:
    return {
        ("POST", "/model/new"): _doc(
            "Add a deployment (kept in the database, served by every instance)", NewModel
        ),
        ("POST", "/model/update"): _doc("Change a database deployment named by model_info.id", ModelChange),
        ("PATCH", "/model/{model_path}"): _doc(
            "LiteLLM's PATCH /model/{id}/update: change a database deployment",
            ModelChange,
            (Param("model_path", description="the model's id, then /update", where="path"),),
        ),
        ("POST", "/model/delete"): _doc("Remove a database deployment", ModelRef),
        ("POST", "/credentials"): _doc("Add a reusable credential (its values encrypted)", NewCredential),
        ("GET", "/credentials"): _doc("Every credential, values masked"),
        ("GET", "/credentials/{name}"): _doc("One credential, values masked", params=_NAME),
        ("PATCH", "/credentials/{name}"): _doc(
            "Change a credential's values key by key", CredentialChange, _NAME
        ),
        ("PUT", "/credentials/{name}"): _doc("Replace a credential's values", CredentialChange, _NAME),
        ("DELETE", "/credentials/{name}"): _doc("Remove a credential no deployment names", params=_NAME),
    }
