"""Checking one JWT against the identity provider's public keys (PyJWT does the cryptography).

The algorithm is never the token's choice alone: it must be one the key's own type allows — RSA:
RS256/384/512 and PS256/384/512; EC: the one ES* of the key's curve; OKP: EdDSA — and the key's
`alg`, when the JWKS names one. So `none`, and HS256 signed with an RSA public key as the shared
secret (the classic confusion), are refused before any signature is computed. Expiry is required;
exp, nbf and iat are checked with `LEEWAY` seconds of clock skew; the audience and issuer when
configured.

Every refusal is the same 401 to the client ("invalid token"): which check failed is logged at
debug level, without the token."""

from __future__ import annotations

import logging
from typing import Any

import jwt

from llmrelay.auth.jwks import JwksKeys
from llmrelay.types.errors import AuthenticationError

log = logging.getLogger("llmrelay.auth")

LEEWAY = 30  # seconds of clock skew allowed on exp, nbf and iat
MAX_TOKEN_LENGTH = 16 * 1024


class UnknownKeyId(Exception):
    """The token names a key id the key set does not hold (yet: a rotation may have added it)."""


def invalid_token() -> AuthenticationError:
    return AuthenticationError("invalid token", code="invalid_jwt")


def looks_like_jwt(credential: str) -> bool:
    """LiteLLM's test: three dot-separated parts. Virtual keys (sk-...) never hold a dot."""
    return credential.count(".") == 2


class TokenVerifier:
    def __init__(self, keys: JwksKeys, *, audience: str | None, issuer: str | None) -> None:
        self.keys = keys
        self.audience = audience
        self.issuer = issuer

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or AuthenticationError; UnknownKeyId when its key id is not held."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise invalid_token()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            log.debug("JWT refused: unreadable header (%s)", type(exc).__name__)
            raise invalid_token() from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or (kid is not None and not isinstance(kid, str)):
            raise invalid_token()
        key = self.keys.find(kid)
        if key is None:
            if kid is not None:
                raise UnknownKeyId(kid)
            log.debug("JWT refused: no kid and not exactly one key held")
            raise invalid_token()
        if alg not in key.algorithms:
            log.debug("JWT refused: algorithm %r does not fit key %r", alg[:16], kid)
            raise invalid_token()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.InvalidTokenError as exc:
            log.debug("JWT refused: %s", type(exc).__name__)
            raise invalid_token() from None
        return claims
