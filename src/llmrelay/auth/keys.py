"""Virtual keys and the master key: generation, hashing, constant-time comparison.

Keys are stored as SHA-256 hex digests, the same digest LiteLLM stores, so keys migrated from a
LiteLLM database keep working. A salt or slow hash buys nothing here: a generated key carries 256
bits of randomness, so a leaked digest cannot be brute-forced (docs/adr/0005-storage.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "sk-"
KEY_RANDOM_BYTES = 32
# longer "keys" are refused before hashing: no legitimate key is this long
MAX_KEY_LENGTH = 512


def generate_key() -> str:
    """A new key: "sk-" + 32 random bytes, URL-safe base64 (43 characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def hash_key(key: str) -> str:
    """The stored identity of a key: SHA-256, lowercase hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def display_name(key: str) -> str:
    """What may be shown and stored next to the hash: "sk-...a1b2" (the last 4 characters)."""
    return f"{KEY_PREFIX}...{key[-4:]}"


def looks_like_hash(value: str) -> bool:
    """Admin calls accept a key or its hash (LiteLLM does the same); a 64-hex-digit value is a hash."""
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def same_secret(presented: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(presented.encode(), expected.encode())


class MasterKey:
    """Holds only the SHA-256 of the master key; compares digests in constant time. The clear key is
    never kept, stored or printed."""

    __slots__ = ("_digest",)

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("master key is empty")
        self._digest = key_digest(key)

    def matches_digest(self, digest: bytes) -> bool:
        return hmac.compare_digest(digest, self._digest)

    def matches(self, key: str) -> bool:
        return self.matches_digest(key_digest(key))

    def __repr__(self) -> str:
        return "MasterKey(set)"
