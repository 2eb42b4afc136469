"""Request authentication: AWS Signature Version 4 (computed by botocore, imported on first use) or a
Bedrock API key as a bearer token.

Only the headers listed here are signed (host, content-type, accept, x-amz-date, and the session
token), so headers a transport adds on its way out (content-length, user-agent) cannot break the
signature.
"""

from __future__ import annotations

import logging

from llmrelay.providers.bedrock.credentials import AwsKeys, BearerToken, Credentials, Profile
from llmrelay.providers.bedrock.optional import missing_botocore

SIGNING_NAME = "bedrock"  # the service's signing name (its endpoint prefix is bedrock-runtime)
_SIGNED = ("content-type", "accept")


class _NoCanonicalRequests(logging.Filter):
    """botocore logs every canonical request it signs at DEBUG, and a canonical request holds the
    x-amz-security-token header: a process logging at DEBUG would write session tokens to its logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("CanonicalRequest")


logging.getLogger("botocore.auth").addFilter(_NoCanonicalRequests())


def auth_headers(
    credentials: Credentials, region: str | None, method: str, url: str, headers: dict[str, str], body: bytes
) -> dict[str, str]:
    """The headers that authenticate this exact request (SigV4 needs the region)."""
    if isinstance(credentials, BearerToken):
        return {"authorization": f"Bearer {credentials.token}"}
    if isinstance(credentials, Profile):
        raise TypeError("a profile's keys are loaded by the engine: sign with sigv4_headers")
    if region is None:
        raise ValueError("SigV4 signing needs a region")
    return sigv4_headers(credentials, region, method, url, headers, body)


def sigv4_headers(
    keys: AwsKeys, region: str, method: str, url: str, headers: dict[str, str], body: bytes
) -> dict[str, str]:
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials as BotoCredentials
    except ImportError as exc:
        raise missing_botocore(exc) from exc

    signed = {name: headers[name] for name in _SIGNED if name in headers}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    SigV4Auth(
        BotoCredentials(keys.access_key, keys.secret_key, keys.session_token), SIGNING_NAME, region
    ).add_auth(request)
    out = {"authorization": request.headers["Authorization"], "x-amz-date": request.headers["X-Amz-Date"]}
    if keys.session_token:
        out["x-amz-security-token"] = keys.session_token
    return out


__all__ = ["AwsKeys", "BearerToken", "auth_headers", "sigv4_headers"]
