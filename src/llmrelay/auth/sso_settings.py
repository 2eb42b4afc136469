"""Dashboard sign-in by OpenID Connect (SSO), as LiteLLM configures it: environment variables for one
identity provider — Google (`GOOGLE_CLIENT_ID/SECRET`), Microsoft Entra ID
(`MICROSOFT_CLIENT_ID/SECRET/TENANT`) or any OpenID provider (`GENERIC_*`) — and `PROXY_BASE_URL`,
the gateway's public address the provider sends the browser back to (`<PROXY_BASE_URL>/sso/callback`).

llmrelay always verifies the provider's ID token, so it needs the provider's issuer for discovery
(`.well-known/openid-configuration`: its keys and endpoints): Google's and Microsoft's are known;
a generic provider names it in `GENERIC_ISSUER` (llmrelay's; LiteLLM has none). The `GENERIC_*_ENDPOINT`
variables, when set, take the place of the discovered endpoints.

LiteLLM's variables llmrelay does not implement are refused when set, naming them (never ignored)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

# the roles a user may have (LiteLLM's); an identity provider's role claim outside them is not taken
USER_ROLES = frozenset({"proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"})
# LiteLLM gives a user created by SSO sign-in this role unless told otherwise
DEFAULT_SSO_ROLE = "internal_user_viewer"
GOOGLE_ISSUER = "https://accounts.google.com"
# Microsoft's multi-tenant names: their discovery's issuer is a template, not one issuer to check
_MICROSOFT_SHARED_TENANTS = frozenset({"common", "organizations", "consumers"})

# LiteLLM's SSO variables llmrelay does not implement: set, they stop the start
NOT_IMPLEMENTED = (
    "GENERIC_CLIENT_STATE",
    "GENERIC_SSO_HEADERS",
    "GENERIC_INCLUDE_CLIENT_ID",
    "GENERIC_INCLUDE_TOKEN_CLAIMS",
    "GENERIC_USER_FIRST_NAME_ATTRIBUTE",
    "GENERIC_USER_LAST_NAME_ATTRIBUTE",
    "GENERIC_USER_DISPLAY_NAME_ATTRIBUTE",
    "GENERIC_USER_PROVIDER_ATTRIBUTE",
    "GENERIC_USER_EXTRA_ATTRIBUTES",
    "GENERIC_ROLE_MAPPINGS_ROLES",
    "GENERIC_ROLE_MAPPINGS_GROUP_CLAIM",
    "GENERIC_ROLE_MAPPINGS_DEFAULT_ROLE",
    "MICROSOFT_SERVICE_PRINCIPAL_ID",
    "MICROSOFT_AUTHORIZATION_ENDPOINT",
    "MICROSOFT_TOKEN_ENDPOINT",
    "MICROSOFT_USERINFO_ENDPOINT",
)


class SsoUserDefaults(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """LiteLLM's `litellm_settings.default_internal_user_params`: what a user created by SSO sign-in
    gets. A role the identity provider's role attribute names takes the place of `user_role`."""

    user_role: str = DEFAULT_SSO_ROLE
    max_budget: Annotated[float, msgspec.Meta(ge=0, le=1e12)] | None = None
    budget_duration: str | None = None
    models: list[Annotated[str, msgspec.Meta(max_length=255)]] = []

    def __post_init__(self) -> None:
        if self.user_role not in USER_ROLES:
            raise ValueError(f"user_role {self.user_role!r} is not one of {', '.join(sorted(USER_ROLES))}")
        if self.budget_duration is not None:
            # here, not at the top: the config schema imports this module, and a gateway without a
            # database never loads the storage package
            from llmrelay.storage.durations import validate_duration

            validate_duration(self.budget_duration)


@dataclass(frozen=True, slots=True)
class SsoSettings:
    provider: str  # "generic" | "google" | "microsoft": which variables configured it
    client_id: str
    client_secret: str
    issuer: str  # discovery: <issuer>/.well-known/openid-configuration; the ID token's `iss`
    redirect_uri: str  # <PROXY_BASE_URL>/sso/callback
    scope: str = "openid email profile"
    user_id_attribute: str = "preferred_username"
    email_attribute: str = "email"
    role_attribute: str = "role"
    # endpoints named in the environment, used instead of the discovered ones
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over TLS when the gateway's public address is https."""
        return self.redirect_uri.startswith("https://")

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> SsoSettings | None:
        """The SSO settings in `environ`; None when no provider is configured. ValueError naming
        the variable when they are incomplete, contradictory or not implemented."""
        configured = [name for name, var in _PROVIDERS.items() if environ.get(var, "").strip()]
        if not configured:
            return None
        if len(configured) > 1:
            raise ValueError(
                "more than one SSO provider is configured ("
                + ", ".join(_PROVIDERS[name] for name in configured)
                + "): set the variables of one"
            )
        unsupported = [name for name in NOT_IMPLEMENTED if environ.get(name, "").strip()]
        if unsupported:
            raise ValueError(f"{', '.join(unsupported)}: not implemented by llmrelay's SSO; unset them")
        if environ.get("GENERIC_CLIENT_USE_PKCE", "true").strip().lower() not in ("true", "1", "yes"):
            raise ValueError("GENERIC_CLIENT_USE_PKCE: llmrelay always uses PKCE (S256); unset it")
        base = _base_url(environ)
        provider = configured[0]
        if provider == "google":
            return cls(
                provider=provider,
                client_id=_required(environ, "GOOGLE_CLIENT_ID"),
                client_secret=_required(environ, "GOOGLE_CLIENT_SECRET"),
                issuer=GOOGLE_ISSUER,
                redirect_uri=base + "/sso/callback",
                user_id_attribute="sub",
            )
        if provider == "microsoft":
            tenant = _required(environ, "MICROSOFT_TENANT")
            if tenant.lower() in _MICROSOFT_SHARED_TENANTS or not _is_segment(tenant):
                raise ValueError(
                    f"MICROSOFT_TENANT: {tenant!r} is not one tenant; name your tenant's id or domain"
                )
            return cls(
                provider=provider,
                client_id=_required(environ, "MICROSOFT_CLIENT_ID"),
                client_secret=_required(environ, "MICROSOFT_CLIENT_SECRET"),
                issuer=f"https://login.microsoftonline.com/{tenant}/v2.0",
                redirect_uri=base + "/sso/callback",
                user_id_attribute="oid",
            )
        issuer = _required(
            environ, "GENERIC_ISSUER", why="the provider's issuer URL (discovery, ID token check)"
        )
        endpoints = {
            name: _url(environ, var)
            for name, var in _GENERIC_ENDPOINTS.items()
            if environ.get(var, "").strip()
        }
        return cls(
            provider=provider,
            client_id=_required(environ, "GENERIC_CLIENT_ID"),
            client_secret=_required(environ, "GENERIC_CLIENT_SECRET"),
            issuer=checked_url(issuer.rstrip("/"), "GENERIC_ISSUER"),
            redirect_uri=base + "/sso/callback",
            scope=_scope(environ.get("GENERIC_SCOPE", "").strip() or "openid email profile"),
            user_id_attribute=environ.get("GENERIC_USER_ID_ATTRIBUTE", "").strip() or "preferred_username",
            email_attribute=environ.get("GENERIC_USER_EMAIL_ATTRIBUTE", "").strip() or "email",
            role_attribute=environ.get("GENERIC_USER_ROLE_ATTRIBUTE", "").strip() or "role",
            **endpoints,
        )

    def __repr__(self) -> str:  # never the client secret
        return (
            f"SsoSettings(provider={self.provider!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"
        )


# the variable whose presence picks each provider
_PROVIDERS = {
    "google": "GOOGLE_CLIENT_ID",
    "microsoft": "MICROSOFT_CLIENT_ID",
    "generic": "GENERIC_CLIENT_ID",
}
_GENERIC_ENDPOINTS = {
    "authorization_endpoint": "GENERIC_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "GENERIC_TOKEN_ENDPOINT",
    "userinfo_endpoint": "GENERIC_USERINFO_ENDPOINT",
}


def _required(environ: Mapping[str, str], name: str, *, why: str = "") -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ValueError(f"SSO needs {name}" + (f": {why}" if why else ""))
    return value


def _base_url(environ: Mapping[str, str]) -> str:
    # the redirect URI is built from it, never from a request's Host header (which a client chooses)
    base = _required(
        environ, "PROXY_BASE_URL", why="the gateway's public address, e.g. https://llm.example.com"
    )
    return checked_url(base.rstrip("/"), "PROXY_BASE_URL")


def _url(environ: Mapping[str, str], name: str) -> str:
    return checked_url(environ[name].strip(), name)


def checked_url(url: str, name: str) -> str:
    """https, or http to a loopback address only (a provider run beside the gateway, in tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise ValueError(f"{name}: {url!r} must be an https:// address (http:// only to this machine)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_segment(value: str) -> bool:
    return len(value) <= 255 and all(c.isalnum() or c in "-._" for c in value)


def _scope(scope: str) -> str:
    words = scope.split()
    if "openid" not in words:
        raise ValueError("GENERIC_SCOPE must include `openid` (the ID token is what signs the user in)")
    if len(scope) > 1024:
        raise ValueError("GENERIC_SCOPE is longer than 1024 characters")
    return " ".join(words)
