"""`AdminApi`: every admin route as a gateway Handler `(Request, Principal) -> None`, for the gateway's
route table:

    admin = AdminApi(storage, key_service.authenticator)
    for method, path, handler in admin.routes():
        add(method, path, handler, OPENAI)

Every route runs behind its row of the permission table (permission_table.py): who may call it, in
which scope; the handler narrows what a scoped caller reaches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.calls.principal import Principal
from llmrelay.proxy.admin.access import Caller, caller_of
from llmrelay.proxy.admin.audit import AUDIT_PREFIX, CHANGED_BY_HEADER, AuditRoutes, AuditTrail
from llmrelay.proxy.admin.budgets import BudgetRoutes
from llmrelay.proxy.admin.end_users import EndUserRoutes
from llmrelay.proxy.admin.keys import KeyRoutes
from llmrelay.proxy.admin.organizations import OrganizationRoutes
from llmrelay.proxy.admin.people import PeopleRoutes
from llmrelay.proxy.admin.permission_table import INTERNAL_USER, ORG_ADMIN, TEAM_ADMIN, Rule, rule_for
from llmrelay.proxy.admin.spend import SpendRoutes
from llmrelay.proxy.http import Request
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import PermissionDeniedError

AdminHandler = Callable[[Request, Caller], Awaitable[None]]
Handler = Callable[[Request, Principal], Awaitable[None]]
# LiteLLM's end-user routes, under their old name and their current one
END_USER_PREFIXES = ("/end_user", "/customer")


class AdminApi:
    def __init__(
        self,
        storage: Storage,
        keys: KeyAuthenticator,
        *,
        audit: bool = True,
        model_names: Callable[[], list[str]] | None = None,
    ) -> None:
        self.keys = keys
        trail = AuditTrail(storage, enabled=audit)
        self._key_routes = KeyRoutes(storage, trail, keys.is_master)
        self._people = PeopleRoutes(storage, trail)
        self._spend = SpendRoutes(storage)
        self._end_users = EndUserRoutes(storage, trail, model_names)
        self._audit = AuditRoutes(storage)
        self._orgs = OrganizationRoutes(storage, trail)
        self._budgets = BudgetRoutes(storage, trail)
        self.storage = storage

    async def _granted(self, principal: Principal, rule: Rule, route: str) -> Caller:
        """The caller with the scopes the permission table grants them on this route; 403 naming
        their role when it grants none."""
        caller = caller_of(principal, self.keys)
        if caller.is_admin:
            return caller
        roles = {caller.role}
        if caller.role == ORG_ADMIN:
            roles.add(INTERNAL_USER)  # an org admin is an internal user besides
        teams: frozenset[str] = frozenset()
        organization_id = None
        if caller.user_id is not None:
            if TEAM_ADMIN in rule.grants:
                memberships = await self.storage.teams.teams_of(caller.user_id)
                teams = frozenset(m.team_id for m in memberships if m.role == "admin")
                if teams:
                    roles.add(TEAM_ADMIN)
            if caller.role == ORG_ADMIN and ORG_ADMIN in rule.grants:
                user = await self.storage.users.get(caller.user_id)
                organization_id = user.organization_id if user is not None else None
        scopes = rule.scopes(roles)
        if not scopes:
            allowed = ", ".join(sorted(rule.grants))
            raise PermissionDeniedError(
                f"{route} is not open to the role {caller.role}; it is open to: {allowed}",
                code="role_not_allowed",
            )
        return msgspec.structs.replace(
            caller, scopes=scopes, admin_of_teams=teams, organization_id=organization_id
        )

    def guarded(
        self, method: str, path: str, handler: AdminHandler, *, rule_path: str | None = None
    ) -> Handler:
        """`handler` behind the permission table's row for (method, rule_path or path): the caller it
        receives carries the scopes granted. An admin route served from another module is wrapped
        with this too, so the table governs it (a route the table lacks is a proxy admin's alone)."""
        rule = rule_for(method, rule_path or path)
        route = f"{method} {rule_path or path}"

        async def handle(req: Request, principal: Principal) -> None:
            caller = await self._granted(principal, rule, route)
            if not caller.is_admin and req.header(CHANGED_BY_HEADER):
                # the audit log names the authenticated caller; only an admin may add on whose behalf
                raise PermissionDeniedError(
                    f"only an admin may send {CHANGED_BY_HEADER}", param=CHANGED_BY_HEADER, code="not_admin"
                )
            await handler(req, caller)

        return handle

    def guarded_routes(
        self, table: list[tuple[str, str, AdminHandler]], *, prefixes: bool = False
    ) -> list[tuple[str, str, Handler]]:
        """Routes of another feature (models, credentials) behind the permission table's rows, as
        the admin API's own are; `prefixes`: prefix routes, whose rows read `<prefix>{id}`."""
        routes = []
        for method, path, handler in table:
            rule_path = f"{path}{{id}}" if prefixes else None
            routes.append((method, path, self.guarded(method, path, handler, rule_path=rule_path)))
        return routes

    def routes(self) -> list[tuple[str, str, Handler]]:
        k, p, s = self._key_routes, self._people, self._spend
        table: list[tuple[str, str, AdminHandler]] = [
            ("POST", "/key/generate", k.generate),
            ("POST", "/key/update", k.update),
            ("GET", "/key/info", k.info),
            ("GET", "/key/list", k.list_keys),
            ("POST", "/key/delete", k.delete),
            ("POST", "/key/regenerate", k.regenerate),
            ("POST", "/key/block", k.block),
            ("POST", "/key/unblock", k.unblock),
            ("POST", "/user/new", p.user_new),
            ("GET", "/user/info", p.user_info),
            ("GET", "/user/list", p.user_list),
            ("POST", "/user/update", p.user_update),
            ("POST", "/user/delete", p.user_delete),
            ("POST", "/team/new", p.team_new),
            ("GET", "/team/info", p.team_info),
            ("GET", "/team/list", p.team_list),
            ("POST", "/team/update", p.team_update),
            ("POST", "/team/delete", p.team_delete),
            ("POST", "/team/member_add", p.member_add),
            ("POST", "/team/member_delete", p.member_delete),
            ("POST", "/organization/new", self._orgs.new),
            ("GET", "/organization/info", self._orgs.info),
            ("GET", "/organization/list", self._orgs.list_all),
            # LiteLLM serves update as PATCH; POST too, as every other llmrelay update route
            ("PATCH", "/organization/update", self._orgs.update),
            ("POST", "/organization/update", self._orgs.update),
            ("DELETE", "/organization/delete", self._orgs.delete),
            ("POST", "/organization/member_add", self._orgs.member_add),
            *self._budgets.routes(),
            ("GET", "/spend/logs", s.logs),
            ("GET", "/spend/daily", s.daily),
            ("GET", "/audit", self._audit.list_entries),
        ]
        e = self._end_users
        for prefix in END_USER_PREFIXES:
            table += [
                ("POST", f"{prefix}/new", e.new),
                ("GET", f"{prefix}/info", e.info),
                ("POST", f"{prefix}/update", e.update),
                ("POST", f"{prefix}/delete", e.delete),
                ("GET", f"{prefix}/list", e.list_all),
                ("POST", f"{prefix}/block", e.block),
                ("POST", f"{prefix}/unblock", e.unblock),
            ]
        return [(method, path, self.guarded(method, path, handler)) for method, path, handler in table]

    def prefix_routes(self) -> list[tuple[str, str, Handler]]:
        """Routes with an id in the path: (method, path prefix, handler)."""
        return [
            (
                "GET",
                AUDIT_PREFIX,
                self.guarded("GET", AUDIT_PREFIX, self._audit.get_entry, rule_path=AUDIT_PREFIX + "{id}"),
            )
        ]
