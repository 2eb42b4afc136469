"""What a JWT's identity may do, as the key gate reads it: a `KeyPrincipal` built from the rows of its
user, team and organization — the team's models (else the user's), narrowed by the organization's;
their budgets and rate limits; their blocked state — so a token is governed like a key of that team.

The rows are read once per identity and kept in memory (bounded), reloaded when the spend writer
counted their spend or an admin changed them (PrincipalSync's owner reloads and changes), and read
again after `MAX_AGE` seconds at most. A team or user the gateway does not know is refused, unless
LiteLLM's `team_id_upsert` / `user_id_upsert` creates it on first sight (no budget, no models list:
LiteLLM's defaults)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from llmrelay.auth.jwt_identity import JwtIdentity
from llmrelay.auth.jwt_settings import JwtAuthSettings
from llmrelay.auth.principal import allowed_models, mcp_servers_of, mcp_tools_of, scope_limits
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import LimitFields, NewTeam, NewUser, TeamRecord, UserRecord
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import AuthenticationError

MAX_AGE = 60.0
MAX_ENTRIES = 50_000


class JwtPrincipals:
    def __init__(
        self,
        storage: Storage,
        settings: JwtAuthSettings,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.max_entries = max_entries
        self._clock = clock
        self._cache: dict[tuple[str | None, ...], tuple[float, JwtIdentity, KeyPrincipal]] = {}
        self._loading: dict[tuple[str | None, ...], asyncio.Future[KeyPrincipal]] = {}

    def cached(self, identity: JwtIdentity) -> KeyPrincipal | None:
        entry = self._cache.get(identity.cache_key)
        if entry is None or self._clock() - entry[0] > MAX_AGE:
            return None
        return entry[2]

    async def load(self, identity: JwtIdentity) -> KeyPrincipal:
        """Read (or create, with upsert) the identity's rows; AuthenticationError when a team, user or
        organization is unknown, or blocked. Concurrent first tokens of one identity share one read."""
        key = identity.cache_key
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(identity))
            loading.add_done_callback(lambda done: self._loading.pop(key, None))
        return await asyncio.shield(loading)

    async def _load(self, identity: JwtIdentity) -> KeyPrincipal:
        found = await self._read(identity)
        if identity.cache_key not in self._cache and len(self._cache) >= self.max_entries:
            del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[identity.cache_key] = (self._clock(), identity, found)
        return found

    async def _read(self, identity: JwtIdentity) -> KeyPrincipal:
        team = await self._team(identity.team_id) if identity.team_id is not None else None
        user = await self._user(identity) if identity.user_id is not None else None
        org_id = identity.organization_id or (team.organization_id if team is not None else None)
        org = await self.storage.organizations.get(org_id) if org_id is not None else None
        if org_id is not None and org is None:
            raise AuthenticationError(
                "the token's organization is not known to the gateway", code="jwt_unknown"
            )
        for scope, row in (("user", user), ("team", team), ("organization", org)):
            if row is not None and row.blocked:
                raise AuthenticationError(f"the token's {scope} is blocked", code="key_blocked")
        limits = []
        if user is not None:
            limits.append(scope_limits("user", user.user_id, user, user.spend_micros))
        if team is not None:
            limits.append(scope_limits("team", team.team_id, team, team.spend_micros))
        model_lists = [team.models] if team is not None else [user.models] if user is not None else []
        if org is not None:
            budget = await self.storage.budgets.get(org.budget_id) if org.budget_id else None
            org_limits = budget if budget is not None else LimitFields()
            limits.append(scope_limits("organization", org.organization_id, org_limits, org.spend_micros))
            model_lists.append(org.models)
        admin = identity.role == "proxy_admin"
        permission = team.object_permission if team is not None else None
        return KeyPrincipal(
            key_hash=f"jwt:{identity.user_id or ''}:{identity.team_id or ''}",
            key_name="jwt",
            user_id=identity.user_id,
            team_id=identity.team_id,
            organization_id=org_id,
            user_role="proxy_admin" if admin else (user.user_role if user is not None else None),
            # an admin token is not narrowed by a team; LiteLLM's admins call every model
            models=None if admin else allowed_models(model_lists),
            limits=tuple(limits),
            # the team's MCP servers and tools (object_permission), as for its keys
            mcp_servers=allowed_models([mcp_servers_of(permission)]),
            mcp_tools=mcp_tools_of([permission]),
        )

    async def _team(self, team_id: str) -> TeamRecord:
        team = await self.storage.teams.get(team_id)
        if team is None and self.settings.team_id_upsert:
            try:
                team = await self.storage.teams.create(NewTeam(team_id=team_id))
            except StorageConflict:  # another worker created it meanwhile
                team = await self.storage.teams.get(team_id)
        if team is None:
            raise AuthenticationError("the token's team is not known to the gateway", code="jwt_unknown")
        return team

    async def _user(self, identity: JwtIdentity) -> UserRecord:
        assert identity.user_id is not None
        user = await self.storage.users.get(identity.user_id)
        if user is None and self.settings.user_id_upsert:
            try:
                user = await self.storage.users.create(
                    NewUser(user_id=identity.user_id, user_email=identity.user_email)
                )
            except StorageConflict:
                user = await self.storage.users.get(identity.user_id)
        if user is None:
            raise AuthenticationError("the token's user is not known to the gateway", code="jwt_unknown")
        return user

    async def on_owner_reload(self, owners: list[tuple[str, str]]) -> None:
        """PrincipalSync's owner reload: spend counted, or a user/team/organization changed. The
        entries naming them are read again now (before the spend ledger drops what the database
        now counts), and dropped when they no longer authenticate (deleted, blocked)."""
        idents = set(owners)
        for key, (_, identity, found) in list(self._cache.items()):
            if (
                ("user", found.user_id) in idents
                or ("team", found.team_id) in idents
                or ("organization", found.organization_id) in idents
            ):
                try:
                    self._cache[key] = (self._clock(), identity, await self._read(identity))
                except AuthenticationError:
                    self._cache.pop(key, None)
