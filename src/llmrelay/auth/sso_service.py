"""SSO in a gateway worker: the identity provider's metadata and keys (discovered on the worker's
start, again on a sign-in while the provider could not be reached), the OIDC client, the users and
the sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from llmrelay.auth.jwks import MAX_JWKS_BYTES, JwksKeys
from llmrelay.auth.sso_client import OidcClient
from llmrelay.auth.sso_discovery import discover
from llmrelay.auth.sso_sessions import SessionService
from llmrelay.auth.sso_settings import SsoSettings, SsoUserDefaults
from llmrelay.auth.sso_users import SsoUsers
from llmrelay.storage.storage import Storage
from llmrelay.transport.http import HttpTransport
from llmrelay.types.errors import LLMError, ServiceUnavailableError

log = logging.getLogger("llmrelay.auth")

# how often the provider's keys are fetched again (a key it dropped stops being trusted then)
KEYS_TTL = 3600.0
RETRY_AFTER = 5.0


class SsoService:
    def __init__(self, settings: SsoSettings, defaults: SsoUserDefaults, storage: Storage) -> None:
        self.settings = settings
        self.users = SsoUsers(storage, defaults)
        self.sessions = SessionService(storage)
        self._transport = HttpTransport(pool_size=8, max_body_bytes=MAX_JWKS_BYTES)
        self._client: OidcClient | None = None
        self._keys: JwksKeys | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        # a failure is logged; the gateway serves without SSO, and the next sign-in tries again
        with contextlib.suppress(ServiceUnavailableError):
            await self.client()

    async def client(self) -> OidcClient:
        """The OIDC client, discovering the provider first if that has not succeeded yet."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    metadata = await discover(self.settings, self._transport)
                except (LLMError, ValueError) as exc:
                    # not the person's fault: the provider is down or misconfigured; said once in
                    # the log with the reason, to the browser without it
                    reason = exc.message if isinstance(exc, LLMError) else str(exc)
                    log.error("SSO: the identity provider's discovery failed (%s)", reason)
                    raise ServiceUnavailableError(
                        "the identity provider cannot be reached now; try again shortly",
                        code="sso_unavailable",
                        retry_after=RETRY_AFTER,
                    ) from None
                keys = JwksKeys([metadata.jwks_uri], ttl=KEYS_TTL, transport=self._transport)
                await keys.start()
                self._keys = keys
                self._client = OidcClient(self.settings, metadata, keys, self._transport)
        return self._client

    async def stop(self) -> None:
        if self._keys is not None:
            await self._keys.stop()  # closes the shared transport too
        else:
            await self._transport.aclose()
