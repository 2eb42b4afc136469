"""What the model and credential routes answer and write to the audit log: never a secret (the
credential fields are left out or masked, proxy/credentials.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llmrelay.proxy.credentials import MASK, is_credential_field, without_credentials
from llmrelay.proxy.models.catalog import DbCredential, DbModel


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def model_view(model: DbModel) -> dict[str, Any]:
    """LiteLLM's model row: its id, name, parameters without credentials, info and stamps."""
    stored = model.stored
    return {
        "model_id": model.model_id,
        "model_name": model.model_name,
        "litellm_params": without_credentials(model.litellm_params),
        "model_info": {**without_credentials(model.model_info), "id": model.model_id, "db_model": True},
        "created_at": _time(stored.created_at if stored else None),
        "updated_at": _time(stored.updated_at if stored else None),
        "created_by": stored.created_by if stored else None,
        "updated_by": stored.updated_by if stored else None,
    }


def masked_values(values: dict[str, Any]) -> dict[str, Any]:
    """A credential's values with each secret shown as a mask (so a reader sees it is set), the
    others (api_base, a region) as they are, URLs' passwords masked."""
    return {k: MASK if is_credential_field(k) else without_credentials(v) for k, v in values.items()}


def credential_view(name: str, values: dict[str, Any], info: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "credential_name": name,
        "credential_values": masked_values(values),
        "credential_info": without_credentials(info),
        "source": source,
    }


def stored_credential_view(credential: DbCredential) -> dict[str, Any]:
    return credential_view(credential.name, credential.values, credential.info, "db")
