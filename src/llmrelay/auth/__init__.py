"""Virtual keys on the request path: key hashing, the principal cache kept in sync across instances,
and the gateway authenticator. Importing this package imports SQLAlchemy (through storage)."""

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import MasterKey, display_name, generate_key, hash_key
from llmrelay.auth.principal import KeyPrincipal, ScopeLimits, principal_from_record
from llmrelay.auth.service import KeyAuthService
from llmrelay.auth.sync import PrincipalSync

__all__ = [
    "KeyAuthService",
    "KeyAuthenticator",
    "KeyPrincipal",
    "MasterKey",
    "PrincipalCache",
    "PrincipalSync",
    "ScopeLimits",
    "display_name",
    "generate_key",
    "hash_key",
    "principal_from_record",
]
