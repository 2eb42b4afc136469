"""The dashboard's cookies: reading one from a Cookie header, writing Set-Cookie, and the signed
cookie that carries a sign-in in progress.

A sign-in's state, nonce and PKCE verifier (auth/sso_client.py) wait in the browser that started it,
in a cookie the gateway signed (HMAC-SHA256 under a key derived from the master key, so every worker
and instance checks it) with an expiry. Only `/sso/callback` is sent it (its Path), scripts cannot
read it (HttpOnly), and it is cleared there: the provider's answer must come back to the very browser
that asked, within `LOGIN_SECONDS`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from llmrelay.auth.sso_client import LoginRequest

LOGIN_COOKIE = "llmrelay_sso_login"
SESSION_COOKIE = "llmrelay_session"
LOGIN_SECONDS = 600
MAX_COOKIE_HEADER = 8192


def cookie_value(header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header (the first, if repeated); None if absent."""
    if not header or len(header) > MAX_COOKIE_HEADER:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip()
    return None


def set_cookie(name: str, value: str, *, max_age: int, path: str, secure: bool) -> tuple[str, str]:
    """A Set-Cookie header: HttpOnly, SameSite=Lax (sent on the provider's top-level redirect back,
    not on other sites' subrequests), Secure when the gateway is served over TLS."""
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return ("set-cookie", "; ".join(parts))


def clear_cookie(name: str, *, path: str, secure: bool) -> tuple[str, str]:
    return set_cookie(name, "", max_age=0, path=path, secure=secure)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LoginCookies:
    """Seals and opens the sign-in cookie."""

    def __init__(self, master_key: str) -> None:
        self._key = hmac.new(master_key.encode(), b"llmrelay sso login cookie v1", hashlib.sha256).digest()

    def seal(self, login: LoginRequest, now: float) -> str:
        payload = _b64(
            json.dumps([login.state, login.nonce, login.verifier, int(now) + LOGIN_SECONDS]).encode()
        )
        return payload + "." + _b64(self._mac(payload))

    def open(self, value: str | None, now: float) -> LoginRequest | None:
        """The sign-in a cookie carries, if the gateway signed it and it has not expired."""
        if not value or len(value) > 1024 or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        try:
            given = _unb64(mac)
        except ValueError:
            return None
        if not hmac.compare_digest(given, self._mac(payload)):
            return None
        try:
            state, nonce, verifier, expires = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(expires, int) or expires < now:
            return None
        if not all(isinstance(v, str) for v in (state, nonce, verifier)):
            return None
        return LoginRequest(state=state, nonce=nonce, verifier=verifier)

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()
