"""The dashboard's sessions after an SSO sign-in, and the authenticator that accepts them.

A session is an opaque random id (256 bits) in an HttpOnly cookie; the database keeps only its
SHA-256, the user and the expiry (`SESSION_SECONDS`), so every worker and instance reads the same
sessions and signing out ends one everywhere at once. The dashboard's admin API calls carry the
cookie; each is read against the database (the dashboard's calls are few; the model routes never
pay for it: only a request without any API key is looked at for a session).

CSRF: a cookie rides along on any request the browser makes to the gateway, also one another site
provokes. So a session's requests must also carry its CSRF token in the `x-llmrelay-csrf` header —
derived from the session id (HMAC), which another site can neither read nor guess, and a header no
cross-site form or image can set. The page reads it from `GET /sso/session` (same-origin only: the
gateway sends no CORS headers). A session also reaches only the dashboard's routes (the admin API),
never a model."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.auth.presented import Authenticator, CredentialPending, HeaderGetter
from llmrelay.auth.sso_cookies import SESSION_COOKIE, cookie_value
from llmrelay.calls.principal import ADMIN_ROLES, Principal, RouteRule
from llmrelay.storage.records import UserRecord
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError, ServiceUnavailableError

SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "x-llmrelay-csrf"
MAX_SESSION_ID = 128


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    mac = hmac.new(session_id.encode(), b"llmrelay dashboard csrf v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def _no_session() -> AuthenticationError:
    return AuthenticationError(
        "no dashboard session (signed out or expired): sign in again", code="no_session"
    )


class SessionService:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def open(self, user_id: str) -> str:
        """A new session for `user_id`; its id (for the cookie only: never logged, stored hashed)."""
        session_id = secrets.token_urlsafe(32)
        sessions = self.storage.ui_sessions
        expires = sessions.clock() + timedelta(seconds=SESSION_SECONDS)
        # expired sessions go at each sign-in (rare, and by an index): the table holds live ones
        await sessions.prune()
        await sessions.open(session_hash(session_id), user_id, expires)
        return session_id

    async def user(self, session_id: str | None) -> UserRecord:
        """The live session's user; AuthenticationError for none, an unknown or expired one, or a
        blocked user."""
        if not session_id or len(session_id) > MAX_SESSION_ID:
            raise _no_session()
        user = await self.storage.ui_sessions.user_of(session_hash(session_id))
        if user is None:
            raise _no_session()
        if user.blocked:
            raise AuthenticationError("this user is blocked", code="user_blocked")
        return user

    async def end(self, session_id: str) -> None:
        await self.storage.ui_sessions.end(session_hash(session_id))


def check_csrf(session_id: str, given: str | None) -> None:
    """403 unless `given` is the session's CSRF token (compared in constant time)."""
    if not given or not hmac.compare_digest(given.encode(), csrf_token(session_id).encode()):
        raise PermissionDeniedError(
            f"a dashboard session's request must carry its CSRF token in {CSRF_HEADER}",
            param=CSRF_HEADER,
            code="csrf_failed",
        )


class SessionAuthenticator:
    """The gateway's authenticator with dashboard sessions beside it: a request with an API key (or
    JWT) goes to `inner` as before; one with none, but a session cookie, is that session's user."""

    __slots__ = ("inner", "routes", "sessions")

    def __init__(self, inner: Authenticator, sessions: SessionService, routes: RouteRule) -> None:
        self.inner = inner
        self.sessions = sessions
        self.routes = routes  # what a session may call: the dashboard's routes

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
        try:
            return self.inner(header, anthropic_dialect=anthropic_dialect)
        except AuthenticationError as exc:
            if exc.code != "missing_api_key":
                raise
            session_id = cookie_value(header("cookie"), SESSION_COOKIE)
            if session_id is None:
                raise
            csrf = header(CSRF_HEADER)
        raise CredentialPending(lambda: self._principal(session_id, csrf))

    async def _principal(self, session_id: str, csrf: str | None) -> Principal:
        try:
            user = await self.sessions.user(session_id)
        except (SQLAlchemyError, OSError) as exc:
            # the database cannot say whose session this is: not the caller's fault, try again
            raise ServiceUnavailableError(
                f"cannot read the dashboard session now ({type(exc).__name__})", retry_after=1.0
            ) from None
        check_csrf(session_id, csrf)
        return Principal(
            kind="sso",
            user_id=user.user_id,
            models=frozenset(user.models) if user.models else None,
            proxy_admin=user.user_role in ADMIN_ROLES,
            routes=self.routes,
        )

    def __repr__(self) -> str:
        return f"SessionAuthenticator({self.inner!r})"
