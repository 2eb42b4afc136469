"""OCI request signing: the HTTP Signatures draft (draft-cavage-http-signatures-08) as OCI's API
uses it, RSA-SHA256 (PKCS#1 v1.5) with the tenancy user's API key, over

    date (request-target) host [content-length content-type x-content-sha256]

the last three for requests with a body (POST, PUT, PATCH): `x-content-sha256` is the base64 SHA-256
of the body. The `authorization` header names the key as `{tenancy}/{user}/{fingerprint}`:

    Signature version="1",keyId="...",algorithm="rsa-sha256",headers="date (request-target) ...",
    signature="<base64>"

The key is loaded with `cryptography` (the `oci` extra), imported on first use; a key that does not
load is named by its source, never quoted.
"""

from __future__ import annotations

import base64
import hashlib
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from llmrelay.types.errors import AuthenticationError
from llmrelay.types.http import HttpRequest

PROVIDER = "oci"
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")


def load_key(pem: str, source: str) -> Any:
    """The RSA private key of a PEM text (LiteLLM's `oci_key` may carry `\\n` escapes)."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise AuthenticationError(
            "OCI request signing needs cryptography: pip install 'llmrelay[oci]'", provider=PROVIDER
        ) from None
    text = pem.replace("\\n", "\n").replace("\r\n", "\n").strip().encode()
    try:
        key = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError):
        # the library's message may quote the key material: it is not passed on
        raise AuthenticationError(
            f"the OCI API key ({source}) is not an unencrypted PEM private key", provider=PROVIDER
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthenticationError(f"the OCI API key ({source}) is not an RSA key", provider=PROVIDER)
    return key


def signing_string(method: str, url: str, headers: dict[str, str], names: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name == "host":
            lines.append(f"host: {parts.netloc}")
        else:
            lines.append(f"{name}: {headers[name]}")
    return "\n".join(lines)


def sign(request: HttpRequest, key: Any, key_id: str, now: float | None = None) -> HttpRequest:
    """Add `date`, the body headers and `authorization` to `request` (its headers lower-case)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers = request.headers
    headers["date"] = formatdate(now, usegmt=True)
    names: tuple[str, ...] = ("date", "(request-target)", "host")
    if request.method.upper() in ("POST", "PUT", "PATCH"):
        body = request.body or b""
        headers.setdefault("content-type", "application/json")
        headers["content-length"] = str(len(body))
        headers["x-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
        names += BODY_HEADERS
    text = signing_string(request.method, request.url, headers, names)
    signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["authorization"] = (
        f'Signature version="1",keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    return request
