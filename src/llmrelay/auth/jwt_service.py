"""`JwtAuthService`: JWT auth for one gateway worker, beside its virtual keys — the key set (fetched
at start, refreshed in the background), the token checks, the identity mapping and the principals'
rows — started after the key runtime (whose database it reads) and stopped with the worker."""

from __future__ import annotations

from llmrelay.auth.jwks import JwksKeys
from llmrelay.auth.jwt_authenticator import JwtAuthenticator
from llmrelay.auth.jwt_identity import IdentityMapper
from llmrelay.auth.jwt_principals import JwtPrincipals
from llmrelay.auth.jwt_settings import JwtAuthSettings, JwtEnvironment
from llmrelay.auth.jwt_tokens import TokenVerifier
from llmrelay.auth.presented import Authenticator
from llmrelay.auth.service import KeyAuthService


class JwtAuthService:
    def __init__(self, settings: JwtAuthSettings, environment: JwtEnvironment, keys: KeyAuthService) -> None:
        self.keys = keys
        self.jwks = JwksKeys(environment.public_key_urls, ttl=settings.public_key_ttl)
        self.principals = JwtPrincipals(keys.storage, settings)
        self.authenticator = JwtAuthenticator(
            keys.authenticator,
            TokenVerifier(self.jwks, audience=environment.audience, issuer=environment.issuer),
            IdentityMapper(settings),
            self.principals,
        )

    def gateway_authenticator(self) -> Authenticator:
        return self.authenticator

    async def start(self) -> None:
        self.keys.sync.owner_listeners.append(self.principals.on_owner_reload)
        await self.jwks.start()

    async def stop(self) -> None:
        if self.principals.on_owner_reload in self.keys.sync.owner_listeners:
            self.keys.sync.owner_listeners.remove(self.principals.on_owner_reload)
        await self.jwks.stop()
