"""Scrubbing upstream error text before anything else sees it.

An upstream's error message can echo what it was sent (`Incorrect API key provided: sk-...`), name
its own internals (`postgres://admin:hunter2@db:5432`, `http://10.0.3.7:8000/v1/...`), and the
transport's own messages name hosts. Errors are scrubbed once, where they enter the process (the
engine, for every call and every stream), so the client's error body, `/health`, spend logs, the call
log, metrics and traces only ever hold the scrubbed text.

What goes: the deployment's own configured secrets (exact values: its api_key, the options the
providers declare secret — aws_secret_access_key, vertex_credentials... — and other secret-named
options, extra header values), key-shaped tokens of any provider (sk-...,
sk-ant-..., AIza..., AKIA..., ya29..., JWTs, `Bearer ...`), credentials in URLs
(`scheme://user:pass@`), secret-named query parameters (`?key=...`), URLs and mentions of the
deployment's upstream host, and private network addresses (10/8, 172.16/12, 192.168/16, 127/8,
169.254/16, localhost)."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmrelay.providers.registry import declared_secrets
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError

REDACTED = "[redacted]"
UPSTREAM = "[upstream]"
INTERNAL = "[internal address]"

# configured values shorter than this are not secrets worth mangling every message for
_MIN_SECRET_LENGTH = 6
_KEY_SHAPES = re.compile(
    r"""
      \bsk-[A-Za-z0-9_\-]{6,}                                     # OpenAI, Anthropic sk-ant-, llmrelay's own
    | \bAIza[0-9A-Za-z_\-]{16,}                                   # Google API keys
    | \b(?:AKIA|ASIA)[0-9A-Z]{12,}\b                              # AWS access key ids
    | \bya29\.[0-9A-Za-z_\-.]{10,}                                # Google OAuth access tokens
    | \beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*  # JWT-like
    | \b(?:r8|hf|gsk|xai|pplx|nvapi|fw|csk)_[A-Za-z0-9_\-]{12,}   # Replicate, Hugging Face, Groq ...
    """,
    re.VERBOSE,
)
# a credential after an auth scheme: with a digit, or long; not an English word ("token included")
_AUTH_SCHEMES = re.compile(
    r"\b(Bearer|Token|Basic)\s+(?:(?=[A-Za-z._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{6,}|[A-Za-z0-9._~+/=\-]{16,})",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.\-]*://)[^\s/@:'\"]*:[^\s/@'\"]*@", re.IGNORECASE)
_SECRET_PARAMS = re.compile(
    r"\b((?:api[_-]?key|key|token|access_token|secret|password|passwd|sig|signature|code)=)[^&\s\"'<>]+",
    re.IGNORECASE,
)
_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+", re.IGNORECASE)
_PRIVATE_ADDRESS = re.compile(
    r"""\b(?:
        10(?:\.\d{1,3}){3}
      | 127(?:\.\d{1,3}){3}
      | 192\.168(?:\.\d{1,3}){2}
      | 172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}
      | 169\.254(?:\.\d{1,3}){2}
      | localhost
    )(?::\d{1,5})?\b""",
    re.VERBOSE | re.IGNORECASE,
)
# names of options whose values are credentials though no provider declares them (a custom
# provider's, a typo of a declared one)
_SECRET_NAME = re.compile(r"key|secret|token|password|credential|signature", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Scrubber:
    """Scrubs text for one deployment: its own secrets and upstream hosts, and the shapes above."""

    secrets: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def for_deployment(
        cls, deployment: Deployment, *, api_key: str | None = None, api_base: str | None = None
    ) -> Scrubber:
        """`api_key` / `api_base`: what the adapter resolved (environment variables, defaults)."""
        found: set[str] = set()
        for value in (deployment.api_key, api_key):
            if value:
                found.add(value)
        found.update((deployment.extra_headers or {}).values())
        _collect_secrets(deployment.options or {}, found, named=False)
        secrets = tuple(sorted((s for s in found if len(s) >= _MIN_SECRET_LENGTH), key=len, reverse=True))
        hosts = {h for h in (_host(deployment.api_base), _host(api_base)) if h}
        return cls(secrets=secrets, hosts=tuple(sorted(hosts, key=len, reverse=True)))

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        # whole URLs first: the host of one whose credentials were already replaced cannot be read
        value = _URL.sub(self._url, value)
        value = _URL_CREDENTIALS.sub(lambda m: m.group(1) + REDACTED + "@", value)
        value = _AUTH_SCHEMES.sub(lambda m: m.group(1) + " " + REDACTED, value)
        value = _KEY_SHAPES.sub(REDACTED, value)
        value = _SECRET_PARAMS.sub(lambda m: m.group(1) + REDACTED, value)
        for host in self.hosts:
            mention = rf"(?<![\w.\-]){re.escape(host)}(?::\d{{1,5}})?(?![\w\-])"
            value = re.sub(mention, UPSTREAM, value, flags=re.IGNORECASE)
        return _PRIVATE_ADDRESS.sub(INTERNAL, value)

    def error(self, error: LLMError) -> LLMError:
        """Scrub `error`'s message (and what it carries of the upstream's body) in place."""
        error.message = self.text(error.message)
        error.args = (error.message, *error.args[1:])
        if isinstance(error.code, str):
            error.code = self.text(error.code)
        if isinstance(error.param, str):
            error.param = self.text(error.param)
        if error.body is not None:
            error.body = self._value(error.body)
        return error

    def _url(self, match: re.Match[str]) -> str:
        url = match.group(0)
        host = _host(url)
        if host is not None and (host in self.hosts or _is_private(host)):
            return UPSTREAM
        return url

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.text(value.decode("utf-8", errors="replace")).encode()
        if isinstance(value, Mapping):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        return value


def _collect_secrets(options: Mapping[str, Any], found: set[str], *, named: bool) -> None:
    """The values of secret-named options, looking into nested mappings and JSON strings (a service
    account's `vertex_credentials` holds its `private_key`)."""
    declared = declared_secrets()
    for name, value in options.items():
        secret = named or name in declared or bool(_SECRET_NAME.search(str(name)))
        _collect_value(value, found, secret)


def _collect_value(value: Any, found: set[str], secret: bool) -> None:
    if isinstance(value, Mapping):
        _collect_secrets(value, found, named=False)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_value(item, found, secret)
    elif isinstance(value, str) and secret:
        found.add(value)
        if value.lstrip().startswith("{"):
            try:
                parsed = json.loads(value)
            except ValueError:
                return  # not JSON after all: the whole value is already listed
            _collect_value(parsed, found, secret=False)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _is_private(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".internal"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
