"""Google credentials → OAuth2 access tokens for Vertex AI, as token grants the engine runs.

`vertex_credentials` (or the file GOOGLE_APPLICATION_CREDENTIALS names) is a Google credentials JSON,
given as its text or as a file path; the application-default chain that finds it and the other types
(external_account, impersonated_service_account, the metadata server) are in providers/vertex/adc.py.
The two types whose token is one request:

- a service-account key (`"type": "service_account"`): a JWT signed with the key (RS256, google-auth's
  signer) is exchanged at the key's `token_uri` (RFC 7523 JWT bearer grant);
- an authorized user (`"type": "authorized_user"`, what `gcloud auth application-default login`
  writes): its refresh token is exchanged at Google's token endpoint.

A file is read (in a worker thread) when a token is requested, not when the deployment is built, so a
rotated key file is picked up at the next refresh. Nothing here ever puts a key, assertion or token
in an error message.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import urlencode

from llmrelay.providers.flows import read_small_file
from llmrelay.providers.grants import AccessToken, parse_token_answer
from llmrelay.types.errors import AuthenticationError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse

PROVIDER = "vertex_ai"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google accepts assertions valid for at most an hour
ASSERTION_LIFETIME = 3600
_FORM = {"content-type": "application/x-www-form-urlencoded"}


def looks_like_json(source: str) -> bool:
    return source.lstrip("\ufeff \t\r\n").startswith("{")


def credentials_digest(source: str) -> str:
    """Names a credential without revealing it: a digest of its text (or of its path)."""
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def load_credentials(source: str) -> dict[str, Any]:
    """The credentials JSON from its text or from the file at `source` (blocking: the ADC flow runs
    it in a worker thread)."""
    if looks_like_json(source):
        text, where = source.lstrip("\ufeff"), "vertex_credentials (JSON text)"
    else:
        where = f"credentials file {_shown_path(source)}"
        try:
            text = read_small_file(os.path.expanduser(source)).decode("utf-8-sig")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise _auth_error(f"cannot read the {where}: {reason or type(exc).__name__}") from None
    return parse_credentials(text, where)


def parse_credentials(text: str, where: str) -> dict[str, Any]:
    """A credentials JSON object; `where` names its origin in errors (never its content)."""
    try:
        info = json.loads(text)
    except ValueError:
        raise _auth_error(f"the {where} is not valid JSON") from None
    if not isinstance(info, dict):
        raise _auth_error(f"the {where} is not a JSON object")
    return info


def _shown_path(source: str) -> str:
    """The path for an error message — unless the "path" may be key material given in a form not
    recognised as JSON (a long or multi-line value), which must not be echoed."""
    if len(source) > 256 or "\n" in source or "PRIVATE" in source.upper():
        return "(given value not shown: neither JSON text nor a plausible file path)"
    return repr(source)


def project_of(source: str) -> str | None:
    """The `project_id` a service-account key names (None when unreadable: the token step reports)."""
    try:
        project = load_credentials(source).get("project_id")
    except LLMError:
        return None
    return project if isinstance(project, str) and project else None


def credentials_request(info: dict[str, Any], scope: str, now: float) -> HttpRequest:
    """The token request of a service-account key or of authorized-user credentials (`info`: the
    credentials JSON); other types are the ADC flow's (providers/vertex/adc.py)."""
    kind = info.get("type", "service_account")
    if kind == "service_account":
        return _service_account_request(info, scope, now)
    if kind == "authorized_user":
        return _authorized_user_request(info)
    raise _auth_error(
        f"unsupported Google credentials type {str(kind)[:40]!r}: use a service-account key, "
        "authorized-user, external_account or impersonated_service_account credentials"
    )


def _service_account_request(info: dict[str, Any], scope: str, now: float) -> HttpRequest:
    email = info.get("client_email")
    token_uri = info.get("token_uri") or GOOGLE_TOKEN_URI
    if not isinstance(email, str) or not email or not info.get("private_key"):
        raise _auth_error("the service-account key lacks client_email or private_key")
    if not isinstance(token_uri, str):
        raise _auth_error("the service-account key's token_uri is not a string")
    issued = int(now)
    claims = {
        "iss": email,
        "scope": scope,
        "aud": token_uri,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
    }
    assertion = _sign(info, claims)
    body = urlencode({"grant_type": JWT_BEARER, "assertion": assertion}).encode()
    return HttpRequest(url=token_uri, headers=dict(_FORM), body=body)


def _sign(info: dict[str, Any], claims: dict[str, Any]) -> str:
    """An RS256 JWT over `claims`, signed with the key's private key (google-auth's signer)."""
    try:
        from google.auth import crypt, jwt
    except ImportError:
        raise _auth_error(
            "Vertex AI service-account keys need google-auth: pip install 'llmrelay[vertex]'"
        ) from None
    try:
        signer = crypt.RSASigner.from_service_account_info(info)  # type: ignore[no-untyped-call]
        token: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, IndexError):
        # the library's message may quote the key material: it is not passed on
        raise _auth_error(
            "the service-account key's private_key is not a valid PEM RSA private key"
        ) from None
    return token.decode("ascii")


def _authorized_user_request(info: dict[str, Any]) -> HttpRequest:
    fields = {name: info.get(name) for name in ("client_id", "client_secret", "refresh_token")}
    missing = [name for name, value in fields.items() if not isinstance(value, str) or not value]
    if missing:
        raise _auth_error(f"the authorized-user credentials lack {', '.join(missing)}")
    token_uri = info.get("token_uri") or GOOGLE_TOKEN_URI
    body = urlencode({"grant_type": "refresh_token", **fields}).encode()
    return HttpRequest(url=str(token_uri), headers=dict(_FORM), body=body)


def parse_token_response(response: HttpResponse) -> AccessToken:
    """An RFC 6749 token answer; an error status becomes the LLMError it stands for."""
    return parse_token_answer(response, provider=PROVIDER, endpoint="the Google token endpoint")


def _auth_error(message: str) -> AuthenticationError:
    return AuthenticationError(f"Vertex AI credentials: {message}", provider=PROVIDER)
