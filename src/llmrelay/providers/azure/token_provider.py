"""LiteLLM's `azure_ad_token_provider` (SDK only): a callable that returns a Microsoft Entra ID token,
such as azure-identity's `get_bearer_token_provider(DefaultAzureCredential(), scope)`. The engine runs
it as a LocalGrant in a worker thread (it may block on the network), never on the event loop; the
token is kept until shortly before the `exp` its JWT payload states (else for DEFAULT_LIFETIME), and
the callable, which caches tokens itself, is asked again from then on."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from llmrelay.providers.grants import AccessToken
from llmrelay.types.errors import AuthenticationError

PROVIDER = "azure"
# how long a token whose expiry cannot be read is kept before the callable is asked again
DEFAULT_LIFETIME = 300.0


@dataclass(frozen=True, slots=True)
class TokenProviderGrant:
    provider: Callable[[], object] = field(repr=False)

    @property
    def cache_key(self) -> str:
        # one callable, one credential: its identity (never its output) names it
        return f"azure-token-provider:{id(self.provider):x}"

    def load(self) -> AccessToken:
        try:
            token = self.provider()
        except Exception as exc:  # noqa: BLE001 - a user callable: any failure is the same refusal
            # the callable's message is its library's; only its kind is passed on (it may quote what
            # it was configured with)
            raise AuthenticationError(
                f"azure_ad_token_provider failed: {type(exc).__name__}", provider=PROVIDER
            ) from None
        if not isinstance(token, str) or not token.strip() or "\n" in token or "\r" in token:
            raise AuthenticationError(
                "azure_ad_token_provider returned no usable token (a non-empty string)", provider=PROVIDER
            )
        return AccessToken(token=token.strip(), expires_in=_lifetime(token.strip()))


def _lifetime(token: str) -> float:
    """Seconds until the JWT's `exp`; DEFAULT_LIFETIME when it is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return DEFAULT_LIFETIME
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        expires = float(payload["exp"])
    except (ValueError, KeyError, TypeError):
        return DEFAULT_LIFETIME
    left = expires - time.time()
    return left if left > 0 else DEFAULT_LIFETIME
