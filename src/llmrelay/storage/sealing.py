"""Encrypting the secrets the database keeps (the connection values of models and credentials added
through the admin API): AES-256-GCM with a key derived (HKDF-SHA256) from LiteLLM's
`LITELLM_SALT_KEY` when set, else the master key. A sealed value is bound to the row it belongs to
(the row's id is the associated data), so a value copied into another row does not open.

Changing the secret makes every stored value unreadable: set LITELLM_SALT_KEY once and keep it when
the master key is rotated (docs/security.md)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

SALT_KEY_ENV = "LITELLM_SALT_KEY"
_PREFIX = "v1."
_NONCE = 12
_HKDF_SALT = b"llmrelay sealed database values"


class SealError(ValueError):
    """A sealed value that does not open: another secret sealed it, or it was altered."""


class Sealer:
    def __init__(self, secret: str) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        if not secret:
            raise ValueError("sealing needs a secret: LITELLM_SALT_KEY or the master key")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=b"v1").derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, plain: bytes, row: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plain, row.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, row: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        if not sealed.startswith(_PREFIX):
            raise SealError("not a sealed value")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :])
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], row.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealError(
                "a stored value does not open with this secret (was LITELLM_SALT_KEY or the master key "
                "changed?)"
            ) from exc

    def __repr__(self) -> str:
        return "Sealer(<secret>)"


def sealing_secret(master_key: str | None, environ: Mapping[str, str]) -> str | None:
    """LITELLM_SALT_KEY, else the master key; None when neither is set."""
    return environ.get(SALT_KEY_ENV) or master_key or None
