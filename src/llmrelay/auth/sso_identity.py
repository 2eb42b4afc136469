"""Who signed in: the user id, email and role a provider's claims name, by LiteLLM's attribute
settings (`GENERIC_USER_ID_ATTRIBUTE`, default `preferred_username`; `GENERIC_USER_EMAIL_ATTRIBUTE`,
default `email`; `GENERIC_USER_ROLE_ATTRIBUTE`, default `role`). A claim that is missing falls back:
the user id to the token's `sub`. Every value is bounded as the users table stores it; a role that
is not one of the gateway's roles is not taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmrelay.auth.sso_client import SsoError
from llmrelay.auth.sso_settings import USER_ROLES, SsoSettings

MAX_USER_ID = 64  # users.user_id
MAX_EMAIL = 255  # users.user_email


@dataclass(frozen=True, slots=True)
class SsoIdentity:
    user_id: str
    email: str | None
    role: str | None  # one of USER_ROLES, when the provider's role attribute names one


def identity_of(claims: dict[str, Any], settings: SsoSettings) -> SsoIdentity:
    user_id = claims.get(settings.user_id_attribute)
    if not isinstance(user_id, str) or not user_id.strip():
        user_id = claims.get("sub")
    if not isinstance(user_id, str) or not _storable(user_id, MAX_USER_ID):
        raise SsoError(
            f"the identity provider's user id ({settings.user_id_attribute}) is missing, longer than "
            f"{MAX_USER_ID} characters or holds a control character"
        )
    email = claims.get(settings.email_attribute)
    if not isinstance(email, str) or not _storable(email, MAX_EMAIL):
        email = None
    role = claims.get(settings.role_attribute)
    return SsoIdentity(
        user_id=user_id, email=email, role=role if isinstance(role, str) and role in USER_ROLES else None
    )


def _storable(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
