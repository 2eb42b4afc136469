"""The secret managers' one HTTP exchange, synchronous: secrets are read while the config loads,
before any event loop runs, and refreshed from a worker thread (config/secrets/refresh.py), never on
a request's path.

Bounded and closed: a timeout on the whole exchange, an answer of at most MAX_ANSWER_BYTES, http
and https only, and no redirects followed — a redirect would carry the manager's token (Vault's
X-Vault-Token) or a signed request to whatever host it names."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmrelay.config.secrets.errors import SecretError

MAX_ANSWER_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is returned to the caller as an answer, not followed


_OPENER = urllib.request.build_opener(_NoRedirects())


def exchange(
    system: str, method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> Answer:
    """Send one request to a secret manager; any HTTP status is an Answer. Raises SecretError when
    the manager cannot be reached or answers too much (naming `system` and the host, no value)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SecretError(f"{system}: the address must be an http or https URL")
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, _read(system, response))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, _read(system, error))
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SecretError(
            f"{system}: cannot reach {parts.hostname}:{parts.port or ''} ({type(reason).__name__})"
        ) from None


def _read(system: str, response: Any) -> bytes:
    data: bytes = response.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise SecretError(f"{system}: the answer is larger than {MAX_ANSWER_BYTES} bytes")
    return data
