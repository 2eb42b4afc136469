"""The one error reading a secret raises. Its message names the secret, the file or the manager and
what went wrong — never a value: a secret manager's own error text may quote what it was sent or
what it holds, so it is not copied in (the status and the error type are)."""

from __future__ import annotations


class SecretError(Exception):
    """A secret could not be read; the message is safe to print."""
