"""Building blocks of the credential flows (llmrelay.providers.grants.CredentialFlow) that several
clouds share: an HTTP step that hands back its answer, a bounded read of a small local file (a token
file, a credentials JSON) for a worker thread, and the check that a URL a credential is sent to is
not plain HTTP to somewhere else than this machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Generator
from typing import TypeVar
from urllib.parse import urlsplit

from llmrelay.providers.grants import Blocking, Fetch
from llmrelay.types.http import HttpRequest, HttpResponse

T = TypeVar("T")
# a flow's steps that end with a value of their own (an answer, a file's text)
Steps = Generator[Fetch | Blocking, object, T]

# token files, credentials JSON and metadata answers are a few kilobytes; anything this large is not one
MAX_FILE_BYTES = 64 * 1024


def fetch(request: HttpRequest, timeout: float) -> Steps[HttpResponse]:
    """One HTTP step: the engine sends `request` and the flow gets the answer (or the transport's
    error thrown in)."""
    answer = yield Fetch(request, timeout)
    if not isinstance(answer, HttpResponse):
        raise TypeError("a Fetch step is answered with an HttpResponse")
    return answer


def read_small_file(path: str) -> bytes:
    """The bytes of the file at `path`, refused past MAX_FILE_BYTES (run in a worker thread)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    return data


def read_file_if_present(path: str) -> bytes | None:
    """As read_small_file, or None when there is no file at `path` (a well-known location)."""
    try:
        return read_small_file(path)
    except FileNotFoundError:
        return None


def secure_or_local(url: str) -> bool:
    """https, or http to loopback: where a credential or a token may be sent."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
