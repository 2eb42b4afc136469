"""The gateway's user for an SSO sign-in: the user with the identity's user id; else, the first
sign-in of a person an admin already added by email, that user; else a new user with LiteLLM's
`default_internal_user_params` (role `internal_user_viewer` unless they say otherwise). There is no
cap on how many users SSO creates.

A role the identity provider's role attribute names is taken, at creation and at every later
sign-in (the provider is where that role is managed); without one, a user keeps the role they have."""

from __future__ import annotations

from datetime import datetime

from llmrelay.auth.sso_identity import SsoIdentity
from llmrelay.auth.sso_settings import SsoUserDefaults
from llmrelay.storage.durations import next_reset
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import NewUser, UserRecord, UserUpdate
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import AuthenticationError


class SsoUsers:
    def __init__(self, storage: Storage, defaults: SsoUserDefaults) -> None:
        self.storage = storage
        self.defaults = defaults

    async def user_for(self, identity: SsoIdentity, now: datetime) -> UserRecord:
        users = self.storage.users
        user = await users.get(identity.user_id)
        if user is None and identity.email is not None:
            user = await users.get_by_email(identity.email)
        if user is None:
            try:
                user = await users.create(self._new_user(identity, now))
            except StorageConflict:  # the same person signing in twice at once
                user = await users.get(identity.user_id)
            if user is None:
                raise AuthenticationError("the signed-in user could not be created", code="sso_failed")
        elif identity.role is not None and identity.role != user.user_role:
            updated = await users.update(user.user_id, UserUpdate(user_role=identity.role))
            user = updated if updated is not None else user
        if user.blocked:
            raise AuthenticationError("this user is blocked", code="user_blocked")
        return user

    def _new_user(self, identity: SsoIdentity, now: datetime) -> NewUser:
        defaults = self.defaults
        duration = defaults.budget_duration
        return NewUser(
            user_id=identity.user_id,
            user_email=identity.email,
            user_role=identity.role or defaults.user_role,
            models=list(defaults.models),
            max_budget_micros=None if defaults.max_budget is None else round(defaults.max_budget * 1_000_000),
            budget_duration=duration,
            budget_reset_at=next_reset(duration, now) if duration else None,
            metadata={"auth_provider": "sso"},
        )
