"""The SSO tests: a real OpenID Provider (npm oidc-provider) for the whole session, and gateways on
SQLite and the real PostgreSQL (tests/database_fixtures.py) configured to sign in with it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sso_helpers import GatewayFactory, OpenIdProvider, SsoGateway, running, sso_document, sso_environment

from llmrelay.storage import Database
from llmrelay.testing.ports import free_port


@pytest.fixture(scope="session")
def gateway_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def provider(gateway_port: int) -> Iterator[OpenIdProvider]:
    op = OpenIdProvider(f"http://127.0.0.1:{gateway_port}/sso/callback")
    try:
        yield op
    finally:
        op.stop()


@pytest.fixture
async def make_gateway(
    provider: OpenIdProvider, gateway_port: int, db: Database, database_url: str, tmp_path: Path
) -> AsyncIterator[GatewayFactory]:
    """Gateways over this test's (cleared) database; the provider's account reset to alice."""
    await provider.set_account("alice", "alice@example.com")

    def make(
        *, environ: dict[str, str] | None = None, **litellm_settings: Any
    ) -> AbstractContextManager[SsoGateway]:
        env = sso_environment(provider, gateway_port) | (environ or {})
        return running(
            SsoGateway(sso_document(database_url, tmp_path, **litellm_settings), gateway_port, env)
        )

    yield make
