"""Dashboard sessions on SQLite and PostgreSQL: stored as a hash only, live until their expiry (then
refused, and pruned at the next sign-in), ended by sign-out, refused for a blocked user, gone with
their user; and the authenticator that accepts them only with their CSRF token, only where no API
key was sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from llmrelay.auth.presented import CredentialPending
from llmrelay.auth.sso_sessions import (
    SESSION_SECONDS,
    SessionAuthenticator,
    SessionService,
    csrf_token,
    session_hash,
)
from llmrelay.calls.principal import MASTER, Principal, RouteRule
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import NewUser, UserUpdate
from llmrelay.storage.schema import ui_sessions
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 8, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sessions(db: Database, clock: Clock) -> SessionService:
    storage = Storage(db, clock=clock)
    await storage.users.create(
        NewUser(user_id="alice", user_email="alice@example.com", user_role="proxy_admin")
    )
    return SessionService(storage)


async def count(db: Database) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ui_sessions))).scalar_one())


async def test_a_session_lives_until_its_expiry(sessions: SessionService, clock: Clock, db: Database) -> None:
    session_id = await sessions.open("alice")
    assert len(session_id) >= 43
    async with db.connect() as conn:
        stored = (await conn.execute(select(ui_sessions))).one()
    assert stored.session_hash == session_hash(session_id) and session_id not in str(tuple(stored))
    assert (await sessions.user(session_id)).user_id == "alice"
    clock.now += timedelta(seconds=SESSION_SECONDS - 1)
    assert (await sessions.user(session_id)).user_id == "alice"
    clock.now += timedelta(seconds=1)
    with pytest.raises(AuthenticationError, match="no dashboard session"):
        await sessions.user(session_id)
    # the next sign-in prunes it
    assert await count(db) == 1
    await sessions.open("alice")
    assert await count(db) == 1


async def test_sign_out_blocked_and_deleted_users(sessions: SessionService, db: Database) -> None:
    first, second = await sessions.open("alice"), await sessions.open("alice")
    await sessions.end(first)
    with pytest.raises(AuthenticationError):
        await sessions.user(first)
    assert (await sessions.user(second)).user_id == "alice"
    await sessions.storage.users.update("alice", UserUpdate(blocked=True))
    with pytest.raises(AuthenticationError, match="blocked"):
        await sessions.user(second)
    await sessions.storage.users.delete(["alice"])
    assert await count(db) == 0
    for junk in (None, "", "x" * 500, "' OR 1=1 --"):
        with pytest.raises(AuthenticationError):
            await sessions.user(junk)


def headers(**given: str) -> object:
    return lambda name: given.get(name.replace("-", "_"))


def refuse_missing(header: object, *, anthropic_dialect: bool) -> Principal:
    if header("authorization"):  # type: ignore[operator]
        return MASTER
    raise AuthenticationError("no API key", code="missing_api_key")


async def test_the_authenticator_takes_a_session_only_with_its_csrf_token(sessions: SessionService) -> None:
    rule = RouteRule(paths=frozenset({"/key/list"}))
    auth = SessionAuthenticator(refuse_missing, sessions, rule)
    session_id = await sessions.open("alice")
    cookie = f"theme=dark; llmrelay_session={session_id}"
    # an API key goes to the gateway's own authenticator, cookie or not
    assert auth(headers(authorization="Bearer sk-x", cookie=cookie), anthropic_dialect=False) is MASTER
    # no key, no cookie: the gateway's own refusal
    with pytest.raises(AuthenticationError, match="no API key"):
        auth(headers(), anthropic_dialect=False)
    with pytest.raises(CredentialPending) as pending:
        auth(headers(cookie=cookie, x_llmrelay_csrf=csrf_token(session_id)), anthropic_dialect=False)
    principal = await pending.value.resolve()
    assert (principal.kind, principal.user_id, principal.proxy_admin, principal.routes) == (
        "sso",
        "alice",
        True,
        rule,
    )
    for wrong in ({}, {"x_llmrelay_csrf": csrf_token("another-session")}):
        with pytest.raises(CredentialPending) as pending:
            auth(headers(cookie=cookie, **wrong), anthropic_dialect=False)
        with pytest.raises(PermissionDeniedError, match="CSRF"):
            await pending.value.resolve()


async def test_a_blocked_user_cannot_sign_in(sessions: SessionService, clock: Clock) -> None:
    from llmrelay.auth.sso_identity import SsoIdentity
    from llmrelay.auth.sso_settings import SsoUserDefaults
    from llmrelay.auth.sso_users import SsoUsers

    users = SsoUsers(sessions.storage, SsoUserDefaults())
    found = await users.user_for(SsoIdentity(user_id="alice", email=None, role=None), clock())
    assert found.user_role == "proxy_admin"  # an existing user keeps their role without a role claim
    await sessions.storage.users.update("alice", UserUpdate(blocked=True))
    with pytest.raises(AuthenticationError, match="blocked"):
        await users.user_for(SsoIdentity(user_id="alice", email=None, role=None), clock())
    # a new user by email of a blocked one is that user, still blocked
    with pytest.raises(AuthenticationError, match="blocked"):
        await users.user_for(SsoIdentity(user_id="alice-2", email="alice@example.com", role=None), clock())
    made = await users.user_for(
        SsoIdentity(user_id="eve", email="eve@example.com", role="internal_user"), clock()
    )
    assert (made.user_role, made.metadata) == ("internal_user", {"auth_provider": "sso"})
