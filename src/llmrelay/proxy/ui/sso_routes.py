"""The dashboard's SSO routes (LiteLLM's paths for the first two):

- `GET /sso/key/generate`: starts a sign-in — the browser goes to the identity provider with a fresh
  state, nonce and PKCE challenge; the signed sign-in cookie keeps them for the callback;
- `GET /sso/callback`: the provider's answer — state checked against this browser's cookie, the code
  exchanged, the ID token verified, the user found or created, a session opened (its cookie set) and
  the browser sent on to `/ui`;
- `GET /sso/session`: the signed-in user and the session's CSRF token, for the page;
- `POST /sso/logout`: ends the session (CSRF token required) and clears its cookie.

All are public routes (no API key): each checks what it needs itself."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import msgspec

from llmrelay.auth.sso_client import LoginRequest, SsoError
from llmrelay.auth.sso_cookies import (
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_COOKIE,
    LoginCookies,
    clear_cookie,
    cookie_value,
    set_cookie,
)
from llmrelay.auth.sso_identity import identity_of
from llmrelay.auth.sso_service import SsoService
from llmrelay.auth.sso_sessions import CSRF_HEADER, SESSION_SECONDS, check_csrf, csrf_token
from llmrelay.calls.principal import Principal
from llmrelay.proxy.http import Request
from llmrelay.proxy.openapi import RouteDoc
from llmrelay.storage.repos.base import utc_now
from llmrelay.types.errors import BadRequestError

Handler = Callable[[Request, Principal], Awaitable[None]]
CALLBACK_PATH = "/sso/callback"
MAX_QUERY = 8192
MAX_CODE = 2048
NO_STORE = ("cache-control", "no-store")


class SessionInfo(msgspec.Struct, kw_only=True):
    user_id: str
    user_email: str | None
    user_role: str
    csrf_token: str
    csrf_header: str = CSRF_HEADER


class SignedOut(msgspec.Struct, kw_only=True):
    signed_out: bool = True
    # LiteLLM's PROXY_LOGOUT_URL: where the page sends the browser after signing out
    logout_url: str | None = None


_encode = msgspec.json.Encoder().encode


class SsoRoutes:
    def __init__(self, service: SsoService, master_key: str, *, logout_url: str | None = None) -> None:
        self.service = service
        self.cookies = LoginCookies(master_key)
        self.secure = service.settings.secure_cookies
        self.logout_url = logout_url
        # the paths as the browser sees them: PROXY_BASE_URL may carry a prefix a front proxy strips
        self.callback_cookie_path = urlsplit(service.settings.redirect_uri).path
        self.dashboard_url = service.settings.redirect_uri.removesuffix(CALLBACK_PATH) + "/ui"

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/sso/key/generate", self.begin),
            ("GET", CALLBACK_PATH, self.callback),
            ("GET", "/sso/session", self.session),
            ("POST", "/sso/logout", self.logout),
        ]

    async def begin(self, req: Request, principal: Principal) -> None:
        client = await self.service.client()
        login = LoginRequest.new()
        sealed = self.cookies.seal(login, time.time())
        headers = [
            ("location", client.authorization_url(login)),
            set_cookie(
                LOGIN_COOKIE,
                sealed,
                max_age=LOGIN_SECONDS,
                path=self.callback_cookie_path,
                secure=self.secure,
            ),
            NO_STORE,
        ]
        req.send_body(302, ("content-type", "text/plain; charset=utf-8"), b"", headers)

    async def callback(self, req: Request, principal: Principal) -> None:
        query = _query(req)
        if "error" in query:
            # the provider refused (the user cancelled, or the client is not allowed): its code only
            refusal = _printable(query["error"][:64])
            raise SsoError(f"the identity provider refused the sign-in ({refusal})")
        code, state = query.get("code"), query.get("state")
        if not code or len(code) > MAX_CODE:
            raise BadRequestError("the callback has no valid `code`", param="code", code="sso_failed")
        if not state or len(state) > 512:
            raise BadRequestError("the callback has no valid `state`", param="state", code="sso_failed")
        login = self.cookies.open(cookie_value(req.header("cookie"), LOGIN_COOKIE), time.time())
        if login is None:
            raise BadRequestError(
                "no sign-in in progress in this browser (or it took longer than "
                f"{LOGIN_SECONDS // 60} minutes): start again from the dashboard",
                param="state",
                code="sso_failed",
            )
        if not hmac.compare_digest(state.encode(), login.state.encode()):
            raise BadRequestError(
                "the callback's `state` is not this browser's sign-in", param="state", code="sso_failed"
            )
        client = await self.service.client()
        claims = await client.finish(code, login)
        identity = identity_of(claims, self.service.settings)
        user = await self.service.users.user_for(identity, utc_now())
        session_id = await self.service.sessions.open(user.user_id)
        headers = [
            ("location", self.dashboard_url),
            set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_SECONDS, path="/", secure=self.secure),
            clear_cookie(LOGIN_COOKIE, path=self.callback_cookie_path, secure=self.secure),
            NO_STORE,
        ]
        req.send_body(303, ("content-type", "text/plain; charset=utf-8"), b"", headers)

    async def session(self, req: Request, principal: Principal) -> None:
        session_id = cookie_value(req.header("cookie"), SESSION_COOKIE)
        user = await self.service.sessions.user(session_id)
        assert session_id is not None  # user() refused a missing one
        info = SessionInfo(
            user_id=user.user_id,
            user_email=user.user_email,
            user_role=user.user_role,
            csrf_token=csrf_token(session_id),
        )
        req.send_json(200, _encode(info), [NO_STORE])

    async def logout(self, req: Request, principal: Principal) -> None:
        session_id = cookie_value(req.header("cookie"), SESSION_COOKIE)
        if session_id:
            check_csrf(session_id, req.header(CSRF_HEADER))
            await self.service.sessions.end(session_id)
        headers = [clear_cookie(SESSION_COOKIE, path="/", secure=self.secure), NO_STORE]
        req.send_json(200, _encode(SignedOut(logout_url=self.logout_url)), headers)


def _query(req: Request) -> dict[str, str]:
    raw = req.scope.query_string
    if len(raw) > MAX_QUERY:
        raise BadRequestError("the callback's query string is too long", param="query", code="sso_failed")
    try:
        parsed = parse_qs(raw, keep_blank_values=True, max_num_fields=32)
    except ValueError:
        raise BadRequestError(
            "the callback's query has too many fields", param="query", code="sso_failed"
        ) from None
    return {name: values[0] for name, values in parsed.items()}


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "_-.") or "no error code"


def sso_docs() -> dict[tuple[str, str], RouteDoc]:
    tag = "Admin UI"
    return {
        ("GET", "/sso/key/generate"): RouteDoc(
            "Start an SSO sign-in: a redirect to the identity provider", tag, errors=(401, 503)
        ),
        ("GET", CALLBACK_PATH): RouteDoc(
            "The identity provider's answer: opens a dashboard session, then a redirect to /ui",
            tag,
            errors=(400, 401, 503),
        ),
        ("GET", "/sso/session"): RouteDoc(
            "The dashboard session's user and CSRF token", tag, answer=SessionInfo, errors=(401,)
        ),
        ("POST", "/sso/logout"): RouteDoc("End the dashboard session", tag, answer=SignedOut, errors=(403,)),
    }
