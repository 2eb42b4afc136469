"""`JwtAuthenticator`: the gateway's authenticator when `general_settings.enable_jwt_auth` is on. A
Bearer credential shaped as a JWT (three dot-separated parts, LiteLLM's test) is checked as one;
anything else — the master key first, virtual keys (sk-...) — goes to the key authenticator as before.

A token is verified from memory (the key set is held, auth/jwks.py), mapped to its identity
(auth/jwt_identity.py) and to what that identity may do (auth/jwt_principals.py). Two cases cannot be
answered from memory and raise CredentialPending for the gateway to await: a key id not held (one
rate-limited refetch of the key set, then the token is checked once more) and an identity whose rows
are not read yet. A JWT's Principal carries its role's routes; the gateway refuses the others."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.jwks import JwksKeys
from llmrelay.auth.jwt_identity import IdentityMapper, JwtIdentity
from llmrelay.auth.jwt_principals import JwtPrincipals
from llmrelay.auth.jwt_tokens import TokenVerifier, UnknownKeyId, invalid_token, looks_like_jwt
from llmrelay.auth.presented import CredentialPending, HeaderGetter, presented_key
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import Principal
from llmrelay.types.errors import ServiceUnavailableError

# what a token that maps to no role may call: no model
NO_MODELS = KeyPrincipal(key_hash="jwt::", key_name="jwt", models=frozenset())
# seconds a request waits for a key-set refetch its token's unknown key id started
REFETCH_WAIT = 5.0


class JwtAuthenticator:
    __slots__ = ("keys", "mapper", "principals", "verifier")

    def __init__(
        self,
        keys: KeyAuthenticator,
        verifier: TokenVerifier,
        mapper: IdentityMapper,
        principals: JwtPrincipals,
    ) -> None:
        self.keys = keys
        self.verifier = verifier
        self.mapper = mapper
        self.principals = principals

    @property
    def jwks(self) -> JwksKeys:
        return self.verifier.keys

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
        credential = presented_key(header, anthropic_dialect=anthropic_dialect)
        if credential is None or not looks_like_jwt(credential) or self.keys.is_master(credential):
            return self.keys(header, anthropic_dialect=anthropic_dialect)
        try:
            claims = self.verifier.verify(credential)
        except UnknownKeyId:
            refetch = self.jwks.refetch_for_unknown_kid()
            if refetch is None:  # rate-limited: a flood of forged key ids fetches nothing more
                raise invalid_token() from None
            raise CredentialPending(lambda: self._after_refetch(credential, refetch)) from None
        return self._principal(claims)

    async def _after_refetch(self, token: str, refetch: asyncio.Future[Any]) -> Principal:
        try:
            await asyncio.wait_for(asyncio.shield(refetch), REFETCH_WAIT)
        except TimeoutError:
            raise invalid_token() from None
        try:
            claims = self.verifier.verify(token)
        except UnknownKeyId:
            raise invalid_token() from None
        principal = self._principal_or_pending(claims)
        return principal if isinstance(principal, Principal) else await self._loaded(principal)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        found = self._principal_or_pending(claims)
        if isinstance(found, Principal):
            return found
        identity = found
        raise CredentialPending(lambda: self._loaded(identity))

    def _principal_or_pending(self, claims: dict[str, Any]) -> Principal | JwtIdentity:
        identity = self.mapper.identity(claims)
        if identity.role is None:
            # no user, team or admin scope: only the public routes, and no model at all
            return self._of(identity, NO_MODELS)
        found = self.principals.cached(identity)
        return identity if found is None else self._of(identity, found)

    async def _loaded(self, identity: JwtIdentity) -> Principal:
        try:
            found = await self.principals.load(identity)
        except (SQLAlchemyError, OSError) as exc:
            # the database cannot say what the token may do: not the caller's fault, try again
            raise ServiceUnavailableError(
                f"cannot read the token's team and user now ({type(exc).__name__})", retry_after=1.0
            ) from None
        return self._of(identity, found)

    def _of(self, identity: JwtIdentity, found: KeyPrincipal) -> Principal:
        return Principal(
            kind="jwt",
            user_id=identity.user_id,
            team_id=identity.team_id,
            models=found.models,
            proxy_admin=identity.role == "proxy_admin",
            key=found,
            routes=self.mapper.routes(identity.role),
            end_user=identity.end_user_id,
        )

    def __repr__(self) -> str:
        return f"JwtAuthenticator(public_keys={len(self.jwks)}, keys={self.keys!r})"
