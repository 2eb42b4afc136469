"""AWS Signature Version 4 for one JSON-protocol request (a POST to the service's root path, as
Secrets Manager's API takes every action), from the standard library: the signing key is derived
from the secret key, the date, the region and the service; the signature covers the method, path,
the signed headers and the body's SHA-256.

Written out rather than taken from botocore so that reading a secret needs no AWS SDK; the tests
check it against botocore's own signer."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    access_key: str
    secret_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return "AwsCredentials(set)"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_headers(
    credentials: AwsCredentials,
    *,
    region: str,
    service: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime | None = None,
) -> dict[str, str]:
    """`headers` plus host, x-amz-date, the session token (if any) and the authorization, for a POST
    of `body` to `url`. Every header given is signed."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    out = {name.lower(): value.strip() for name, value in headers.items()}
    out["host"] = parts.netloc
    out["x-amz-date"] = amz_date
    if credentials.session_token:
        out["x-amz-security-token"] = credentials.session_token
    names = sorted(out)
    canonical_headers = "".join(f"{name}:{' '.join(out[name].split())}\n" for name in names)
    signed = ";".join(names)
    path = quote(parts.path or "/", safe="/-_.~")
    canonical_request = "\n".join(
        ["POST", path, parts.query, canonical_headers, signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(("AWS4" + credentials.secret_key).encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"{credentials.access_key}/{scope}"
    out["authorization"] = (
        f"{ALGORITHM} Credential={credential}, SignedHeaders={signed}, Signature={signature}"
    )
    return out
