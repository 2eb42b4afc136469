"""What the Bedrock simulator needs of AWS's wire: event-stream framing (the encoder; decoding is
botocore's) and SigV4 verification, recomputed with botocore from the simulator's known secrets.

Event-stream message: total length (uint32), headers length (uint32), prelude CRC32, headers
(name length uint8, name, type 7 = string, value length uint16, value), payload, message CRC32 —
all big-endian; the message CRC covers everything before it.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hmac
import struct
from collections.abc import Mapping
from dataclasses import dataclass

_STRING = 7
SIGNING_NAME = "bedrock"
# requests dated further than this from the server's clock are refused (AWS allows 15 minutes)
MAX_SKEW = dt.timedelta(minutes=15)


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", _STRING, len(raw_value)) + raw_value
    )


def frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message."""
    raw_headers = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


def event(event_type: str, payload: bytes) -> bytes:
    return frame(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}, payload
    )


def exception(exception_type: str, payload: bytes) -> bytes:
    return frame(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        payload,
    )


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """Why a request was refused: AWS's exception name and message (HTTP 403)."""

    error_type: str
    message: str


def verify_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    now: dt.datetime | None = None,
    service: str = SIGNING_NAME,
) -> AuthFailure | None:
    """None when `headers` (lower-cased) carry a valid SigV4 signature of this request by one of
    `secrets` (access key id → secret key) for `service` (its signing name); else the failure AWS
    would report."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return AuthFailure("MissingAuthenticationTokenException", "Missing Authentication Token")
    fields = dict(
        part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 ") :].split(",") if "=" in part
    )
    scope = fields.get("Credential", "").split("/")
    signed = [h for h in fields.get("SignedHeaders", "").split(";") if h]
    signature = fields.get("Signature", "")
    timestamp = headers.get("x-amz-date", "")
    if len(scope) != 5 or scope[4] != "aws4_request" or not signed or not signature or not timestamp:
        return AuthFailure(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and an X-Amz-Date.",
        )
    access_key, day, region = scope[:3]
    secret = secrets.get(access_key)
    if secret is None:
        return AuthFailure(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if scope[3] != service or not timestamp.startswith(day) or "host" not in signed:
        return AuthFailure(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'."
        )
    try:
        when = dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return AuthFailure(
            "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'."
        )
    current = now or dt.datetime.now(dt.UTC)
    if abs(current - when) > MAX_SKEW:
        return AuthFailure(
            "InvalidSignatureException", "Signature expired: the request is dated too far from now."
        )
    missing = [h for h in signed if h not in headers]
    if missing:
        return AuthFailure(
            "InvalidSignatureException", f"Signed header {missing[0]!r} is missing from the request."
        )
    request = AWSRequest(method=method, url=url, data=body, headers={h: headers[h] for h in signed})
    request.context["timestamp"] = timestamp
    signer = SigV4Auth(Credentials(access_key, secret, headers.get("x-amz-security-token")), service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, signature):
        return AuthFailure(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.",
        )
    return None
