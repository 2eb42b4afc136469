"""The bodies of the model and credential admin routes (LiteLLM's shapes), with every size bounded.
`litellm_params`, `model_info` and `credential_values` stay open mappings here: what they may hold
is decided by the config checks (checks.py), the same as for config.yaml."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from llmrelay.config.credentials import CredentialName
from llmrelay.proxy.admin.schemas import ID_CHARS, PRINTABLE, ModelName

# a deployment has a few dozen parameters at most; a credential a handful of values
MAX_PARAMS = 128
Params = Annotated[dict[str, Any], msgspec.Meta(max_length=MAX_PARAMS)]
ModelId = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_CHARS, pattern=PRINTABLE)]


class NewModel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /model/new: one deployment, as a model_list entry."""

    model_name: ModelName
    litellm_params: Params
    model_info: Params | None = None


class ModelChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /model/update (model_info.id names the model) and PATCH /model/{id}/update: the fields
    given replace the stored ones, litellm_params and model_info key by key; a null is no change
    (as LiteLLM reads them)."""

    model_name: ModelName | None = None
    litellm_params: Params | None = None
    model_info: Params | None = None


class ModelRef(msgspec.Struct, kw_only=True):
    """POST /model/delete."""

    id: ModelId


class NewCredential(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /credentials."""

    credential_name: CredentialName
    credential_values: Params
    credential_info: Params | None = None


class CredentialChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH (or PUT) /credentials/{name}: values given replace the stored ones key by key (PUT:
    whole); credential_info likewise. A credential is renamed by deleting and adding it."""

    credential_name: CredentialName | None = None
    credential_values: Params | None = None
    credential_info: Params | None = None
