"""The HTTP requests of the credential sources (sans-IO: the engine sends them).

- STS, the query API (`POST /`, form-encoded `Action=...&Version=2011-06-15&...`, XML answers):
  AssumeRole is SigV4-signed by the source credentials (signing name `sts`);
  AssumeRoleWithWebIdentity is unsigned — the web identity token is the credential.
- ECS container credentials: `GET` of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or of
  AWS_CONTAINER_CREDENTIALS_FULL_URI, with the authorization token as the `Authorization` header.
- EC2 instance metadata, IMDSv2 only: `PUT /latest/api/token` for a session token, then
  `GET /latest/meta-data/iam/security-credentials/` (the role's name) and `.../{role}` (its keys),
  each with the token as `X-aws-ec2-metadata-token`.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlencode, urlsplit

from llmrelay.providers.aws.signing import sigv4_headers
from llmrelay.providers.grants import SigningKeys
from llmrelay.types.errors import AuthenticationError
from llmrelay.types.http import HttpRequest

STS_VERSION = "2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
ECS_HOST = "http://169.254.170.2"
IMDS_TOKEN_TTL = "21600"
_CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
# http (not https) is allowed only to the container endpoints AWS runs, as botocore allows: ECS's,
# EKS Pod Identity's (IPv4 and IPv6), and loopback
_CONTAINER_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23")


def assume_role(
    endpoint: str,
    region: str,
    source: SigningKeys,
    role_arn: str,
    session_name: str,
    external_id: str | None,
    *,
    provider: str,
) -> HttpRequest:
    form = {
        "Action": "AssumeRole",
        "Version": STS_VERSION,
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
    }
    if external_id:
        form["ExternalId"] = external_id
    body = urlencode(form).encode()
    url = endpoint.rstrip("/") + "/"
    headers = {"content-type": FORM, "accept": "text/xml"}
    headers.update(sigv4_headers(source, "sts", region, "POST", url, headers, body, provider=provider))
    return HttpRequest(url=url, headers=headers, body=body)


def assume_role_with_web_identity(endpoint: str, role_arn: str, session_name: str, token: str) -> HttpRequest:
    form = {
        "Action": "AssumeRoleWithWebIdentity", "Version": STS_VERSION, "RoleArn": role_arn,
        "RoleSessionName": session_name, "WebIdentityToken": token,
    }  # fmt: skip
    body = urlencode(form).encode()
    return HttpRequest(url=endpoint.rstrip("/") + "/", headers={"content-type": FORM, "accept": "text/xml"},
                       body=body)  # fmt: skip


def container(
    relative_uri: str | None, full_uri: str | None, token: str | None, *, provider: str
) -> HttpRequest:
    if relative_uri:
        url = ECS_HOST + (relative_uri if relative_uri.startswith("/") else "/" + relative_uri)
    elif full_uri:
        url = full_uri
        if not _container_url_allowed(full_uri):
            raise AuthenticationError(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback or to the ECS / "
                "EKS container endpoints (169.254.170.2, 169.254.170.23, fd00:ec2::23)",
                provider=provider,
            )
    else:
        raise ValueError("a container credentials request needs a relative or a full URI")
    headers = {"accept": "application/json"}
    if token:
        if "\r" in token or "\n" in token:
            raise AuthenticationError(
                "the container authorization token holds a line break", provider=provider
            )
        headers["authorization"] = token
    return HttpRequest(url=url, headers=headers, method="GET")


def _container_url_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname in _CONTAINER_HOSTS or parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def imds_token(base: str) -> HttpRequest:
    return HttpRequest(
        url=base.rstrip("/") + "/latest/api/token",
        headers={"x-aws-ec2-metadata-token-ttl-seconds": IMDS_TOKEN_TTL},
        method="PUT",
    )


def imds_role(base: str, token: str) -> HttpRequest:
    return HttpRequest(url=base.rstrip("/") + _CREDENTIALS_PATH, headers={"x-aws-ec2-metadata-token": token},
                       method="GET")  # fmt: skip


def imds_credentials(base: str, token: str, role: str) -> HttpRequest:
    return HttpRequest(
        url=base.rstrip("/") + _CREDENTIALS_PATH + role,
        headers={"x-aws-ec2-metadata-token": token},
        method="GET",
    )
