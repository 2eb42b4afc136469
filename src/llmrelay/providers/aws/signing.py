"""AWS Signature Version 4, computed by botocore (imported on first use), for any AWS service.

Only the headers listed here are signed (host, content-type, accept, x-amz-date, and the session
token), so headers a transport adds on its way out (content-length, user-agent) cannot break the
signature.
"""

from __future__ import annotations

import logging

from llmrelay.providers.aws.optional import missing_botocore
from llmrelay.providers.grants import SigningKeys

_SIGNED = ("content-type", "accept")


class _NoCanonicalRequests(logging.Filter):
    """botocore logs every canonical request it signs at DEBUG, and a canonical request holds the
    x-amz-security-token header: a process logging at DEBUG would write session tokens to its logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("CanonicalRequest")


logging.getLogger("botocore.auth").addFilter(_NoCanonicalRequests())


def sigv4_headers(
    keys: SigningKeys,
    service: str,
    region: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    provider: str,
) -> dict[str, str]:
    """The headers that sign this exact request for `service` (its signing name) in `region`."""
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials as BotoCredentials
    except ImportError as exc:
        raise missing_botocore(exc, provider) from exc

    signed = {name: headers[name] for name in _SIGNED if name in headers}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    SigV4Auth(
        BotoCredentials(keys.access_key, keys.secret_key, keys.session_token), service, region
    ).add_auth(request)
    out = {"authorization": request.headers["Authorization"], "x-amz-date": request.headers["X-Amz-Date"]}
    if keys.session_token:
        out["x-amz-security-token"] = keys.session_token
    return out
