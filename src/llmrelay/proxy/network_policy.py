"""Who may reach what, by network address and by route (docs/security.md, "Network policy"):

- `general_settings.allowed_ips`: the client addresses (and CIDR networks, IPv4 and IPv6) the
  gateway answers at all. The address is the one the in-flight cap counts by: the TCP peer, or the
  right-most untrusted `X-Forwarded-For` entry behind a trusted proxy (proxy/client_address.py), so a
  client cannot write itself into the list. Every route is refused (403 `ip_not_allowed`) to other
  addresses except the liveness and readiness probes, which an orchestrator calls from its own.
- route rules (config/route_rules.py), for every authenticated route, after authentication:
  `admin_only_routes` (only the master key and proxy_admin users), `allowed_routes` (the only routes
  other callers may use), `role_allowed_routes` (the same, for the users of one role) and a key's
  own `allowed_routes`. An admin passes them all; anyone else must pass each one that is set
  (403 `route_not_allowed`, naming the route).

Built only when one of them is set: a gateway without them runs none of this per request."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from llmrelay.calls.principal import Principal
from llmrelay.config.networks import trusted_networks
from llmrelay.config.route_rules import RouteRules
from llmrelay.config.schema import GeneralSettings
from llmrelay.types.errors import PermissionDeniedError

# the probes an orchestrator sends from its own address, answered whatever allowed_ips says
PROBES = frozenset({"/health/liveliness", "/health/liveness", "/health/readiness"})
# keys' route lists compiled and kept at most (a key's list is read from its cached principal)
MAX_KEY_RULES = 4096


class NetworkPolicy:
    __slots__ = ("_admin_only", "_allowed", "_by_role", "_key_rules", "_networks", "checks_routes")

    def __init__(
        self,
        *,
        allowed_ips: Sequence[str] = (),
        admin_only_routes: Sequence[str] = (),
        allowed_routes: Sequence[str] | None = None,
        role_allowed_routes: dict[str, list[str]] | None = None,
        key_routes: bool = False,
    ) -> None:
        self._networks = trusted_networks(allowed_ips) if allowed_ips else None
        self._admin_only = RouteRules(admin_only_routes)
        self._allowed = RouteRules(allowed_routes) if allowed_routes is not None else None
        self._by_role = {role: RouteRules(entries) for role, entries in (role_allowed_routes or {}).items()}
        self._key_rules: dict[tuple[str, ...], RouteRules] = {}
        # keys may carry allowed_routes (virtual keys on): every authenticated request is checked
        self.checks_routes = bool(
            self._admin_only or self._allowed is not None or self._by_role or key_routes
        )

    @classmethod
    def from_settings(cls, settings: GeneralSettings, *, key_routes: bool) -> NetworkPolicy | None:
        """The policy `settings` ask for; None when they ask for none (nothing to check per request)."""
        policy = cls(
            allowed_ips=settings.allowed_ips or (),
            admin_only_routes=settings.admin_only_routes or (),
            allowed_routes=settings.allowed_routes,
            role_allowed_routes=settings.role_allowed_routes,
            key_routes=key_routes,
        )
        return policy if policy._networks is not None or policy.checks_routes else None

    def check_address(self, host: str, path: str) -> None:
        """Refuse (403) a client address outside allowed_ips."""
        if self._networks is None or path in PROBES:
            return
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            address = None
        if address is None or not any(address in network for network in self._networks):
            raise PermissionDeniedError(
                f"access forbidden: the address {host} is not in allowed_ips", code="ip_not_allowed"
            )

    def check_route(self, principal: Principal, path: str) -> None:
        """Refuse (403) a route the authenticated caller may not use."""
        if principal.is_admin:
            return
        if self._admin_only.matches(path):
            raise _refused(path, "only an admin may call it (admin_only_routes)")
        if self._allowed is not None and not self._allowed.matches(path):
            raise _refused(path, "it is not in general_settings.allowed_routes")
        key = principal.key
        role = key.user_role if key is not None else None
        by_role = self._by_role.get(role) if role is not None else None
        if by_role is not None and not by_role.matches(path):
            raise _refused(path, f"it is not in role_allowed_routes of the role {role}")
        if key is not None and key.allowed_routes and not self._key_routes(key.allowed_routes).matches(path):
            raise _refused(path, "it is not in this key's allowed_routes")

    def _key_routes(self, entries: tuple[str, ...]) -> RouteRules:
        rules = self._key_rules.get(entries)
        if rules is None:
            if len(self._key_rules) >= MAX_KEY_RULES:
                self._key_rules.clear()
            rules = self._key_rules[entries] = RouteRules(entries)
        return rules


def _refused(path: str, why: str) -> PermissionDeniedError:
    return PermissionDeniedError(f"route {path} is not allowed for this key: {why}", code="route_not_allowed")
