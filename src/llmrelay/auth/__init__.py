"""Who is calling: the Authenticator seam and the key it reads (auth/presented.py), the store-less
authenticators (auth/master.py), and virtual keys on the request path — key hashing, the principal
cache kept in sync across instances, the gateway authenticator.

Importing this package does no work: the names below resolve on first access, so the master-key
gateway imports auth/presented.py and auth/master.py without SQLAlchemy, which virtual keys (through
storage) need."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "KeyAuthService": "llmrelay.auth.service",
    "KeyAuthenticator": "llmrelay.auth.authenticator",
    "KeyPrincipal": "llmrelay.calls.key_principal",
    "MasterKey": "llmrelay.auth.keys",
    "PrincipalCache": "llmrelay.auth.cache",
    "PrincipalSync": "llmrelay.auth.sync",
    "ScopeLimits": "llmrelay.calls.key_principal",
    "display_name": "llmrelay.auth.keys",
    "generate_key": "llmrelay.auth.keys",
    "hash_key": "llmrelay.auth.keys",
    "principal_from_record": "llmrelay.auth.principal",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'llmrelay.auth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache: later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from llmrelay.auth.authenticator import KeyAuthenticator
    from llmrelay.auth.cache import PrincipalCache
    from llmrelay.auth.keys import MasterKey, display_name, generate_key, hash_key
    from llmrelay.auth.principal import principal_from_record
    from llmrelay.auth.service import KeyAuthService
    from llmrelay.auth.sync import PrincipalSync
    from llmrelay.calls.key_principal import KeyPrincipal, ScopeLimits
