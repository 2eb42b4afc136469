"""Reading the temporary credentials AWS endpoints answer with, as hostile input: bounded in size,
XML without document type declarations, every field checked.

- STS (AssumeRole, AssumeRoleWithWebIdentity) answers XML: `<{Action}Response><{Action}Result>
  <Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/><Expiration/></Credentials>`, and errors
  as `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`;
- ECS container credentials and EC2 instance metadata answer JSON: `{"AccessKeyId",
  "SecretAccessKey", "Token", "Expiration", ...}`.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import msgspec

from llmrelay.providers.grants import AccessToken, SigningKeys
from llmrelay.types.errors import AuthenticationError, InternalServerError, error_class_for_status

# a credentials answer is well under a kilobyte or two; anything this large is not one
MAX_ANSWER_BYTES = 64 * 1024
_STS_NAMESPACE = "{https://sts.amazonaws.com/doc/2011-06-15/}"


class _JsonCredentials(msgspec.Struct):
    AccessKeyId: str
    SecretAccessKey: str
    Token: str | None = None
    Expiration: str | None = None
    Code: str | None = None
    Message: str | None = None


_json_credentials = msgspec.json.Decoder(_JsonCredentials)


def expires_in(expiration: str | None, now: float, *, provider: str, source: str) -> float | None:
    """Seconds from `now` (Unix time) to an ISO 8601 expiration; None when not given."""
    if not expiration:
        return None
    try:
        when = dt.datetime.fromisoformat(expiration.strip())
    except ValueError as exc:
        raise InternalServerError(f"{source} answered an unreadable Expiration", provider=provider) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() - now


def issued(keys: SigningKeys, lifetime: float | None, *, provider: str, source: str) -> AccessToken:
    if lifetime is not None and lifetime <= 0:
        raise AuthenticationError(
            f"{source} answered credentials that have already expired", provider=provider
        )
    return AccessToken(token=keys, expires_in=lifetime)


def json_credentials(body: bytes, now: float, region: str, *, provider: str, source: str) -> AccessToken:
    """The credentials of an ECS container endpoint's or an instance-metadata answer."""
    if len(body) > MAX_ANSWER_BYTES:
        raise InternalServerError(f"{source} answered more than {MAX_ANSWER_BYTES} bytes", provider=provider)
    try:
        found = _json_credentials.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(f"{source} answered no readable credentials", provider=provider) from exc
    if found.Code not in (None, "Success"):
        raise AuthenticationError(f"{source} answered {found.Code[:100]}", provider=provider)
    if not found.AccessKeyId or not found.SecretAccessKey:
        raise InternalServerError(f"{source} answered empty credentials", provider=provider)
    keys = SigningKeys(found.AccessKeyId, found.SecretAccessKey, found.Token or None, region=region)
    lifetime = expires_in(found.Expiration, now, provider=provider, source=source)
    return issued(keys, lifetime, provider=provider, source=source)


def _xml(body: bytes, *, provider: str) -> ET.Element:
    if len(body) > MAX_ANSWER_BYTES:
        raise InternalServerError(f"AWS STS answered more than {MAX_ANSWER_BYTES} bytes", provider=provider)
    # a credentials answer declares no document type; one that does is refused before parsing, so
    # no entity is ever expanded
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise InternalServerError("AWS STS answered XML with a document type declaration", provider=provider)
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise InternalServerError("AWS STS answered unreadable XML", provider=provider) from exc


def _find(element: ET.Element, *names: str) -> ET.Element | None:
    """The descendant at names[0]/names[1]/..., with or without STS's namespace."""
    current: ET.Element | None = element
    for name in names:
        if current is None:
            return None
        found = current.find(_STS_NAMESPACE + name)
        current = found if found is not None else current.find(name)
    return current


def _value(element: ET.Element, *names: str) -> str | None:
    found = _find(element, *names)
    return found.text.strip() if found is not None and found.text else None


def sts_credentials(
    status: int, body: bytes, action: str, now: float, region: str, *, provider: str
) -> AccessToken:
    """The credentials of an STS `action` answer; an error answer raises what it stands for."""
    root = _xml(body, provider=provider)
    if status >= 400 or root.tag in (_STS_NAMESPACE + "ErrorResponse", "ErrorResponse"):
        code = _value(root, "Error", "Code") or f"HTTP {status}"
        message = _value(root, "Error", "Message") or "no message"
        # a refused identity or role (AccessDenied, InvalidIdentityToken, ExpiredToken) is a
        # credentials problem; anything else is STS failing
        refused = status < 500 and status != 429
        cls = AuthenticationError if refused else error_class_for_status(status)
        verdict = "refused" if refused else "failed"
        raise cls(
            f"AWS STS {action} {verdict}: {code}: {message[:300]}",
            provider=provider,
            status_code=401 if refused else status,
            code=code[:100],
        )
    credentials = _find(root, f"{action}Result", "Credentials")
    if credentials is None:
        raise InternalServerError(f"AWS STS {action} answered without Credentials", provider=provider)
    access, secret = _value(credentials, "AccessKeyId"), _value(credentials, "SecretAccessKey")
    token = _value(credentials, "SessionToken")
    if not access or not secret or not token:
        raise InternalServerError(f"AWS STS {action} answered incomplete Credentials", provider=provider)
    source = f"AWS STS {action}"
    lifetime = expires_in(_value(credentials, "Expiration"), now, provider=provider, source=source)
    return issued(
        SigningKeys(access, secret, token, region=region), lifetime, provider=provider, source=source
    )
