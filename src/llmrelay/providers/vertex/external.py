"""Google workload identity federation (`"type": "external_account"`) and service-account
impersonation, as steps of the ADC flow (providers/vertex/adc.py).

An external account trades a token another identity provider issued (a Kubernetes service-account
token, an OIDC or SAML token...) for a Google access token:

1. the subject token is read from `credential_source`: a `file` (read in a worker thread), or a
   `url` (GET, with its `headers`); `format` says whether it is the whole text (`"text"`) or one
   field of a JSON object (`{"type": "json", "subject_token_field_name": ...}`);
2. Google's Security Token Service (`token_url`, by default https://sts.googleapis.com/v1/token)
   exchanges it (RFC 8693, form-encoded: grant_type token-exchange, the pool's `audience`,
   `subject_token_type`, the scope); an app's `client_id` / `client_secret` authenticate with HTTP
   Basic, and a workforce pool's `workforce_pool_user_project` travels in `options`;
3. with `service_account_impersonation_url`, the STS token then asks IAM Credentials'
   `generateAccessToken` for a service account's token (JSON `{"scope": [...], "lifetime": "3600s"}`,
   answered `{"accessToken", "expireTime"}`), `service_account_impersonation.token_lifetime_seconds`
   long.

Tokens and secrets are sent only over https (or to this machine: simulators, sidecars); none is ever
quoted in an error. AWS-sourced (`environment_id`), executable-sourced and certificate-sourced
credentials are refused by name.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

import msgspec

from llmrelay.providers.flows import MAX_FILE_BYTES, Steps, fetch, read_small_file, secure_or_local
from llmrelay.providers.grants import AccessToken, Blocking, parse_token_answer
from llmrelay.types.errors import (
    AuthenticationError,
    InternalServerError,
    LLMError,
    error_class_for_status,
)
from llmrelay.types.http import HttpRequest, HttpResponse

PROVIDER = "vertex_ai"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_STS_URL = "https://sts.googleapis.com/v1/token"
DEFAULT_LIFETIME = 3600
# generateAccessToken takes 1 s to 12 h (over 1 h only for accounts allowed to)
MAX_LIFETIME = 43200
STEP_TIMEOUT = 15.0
_REFUSED_SOURCES = {
    "environment_id": "AWS-sourced credentials (credential_source.environment_id)",
    "executable": "executable-sourced credentials (credential_source.executable)",
    "certificate": "X.509 certificate-sourced credentials (credential_source.certificate)",
}


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    """An external_account credentials file, read and checked."""

    audience: str
    subject_token_type: str
    token_url: str
    source_file: str | None
    source_url: str | None
    source_headers: dict[str, str]
    json_field: str | None
    impersonation_url: str | None
    lifetime: int
    user_project: str | None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


def read_external_account(info: dict[str, Any]) -> ExternalAccount:
    """The account an external_account JSON describes; what is missing or unsafe is named."""
    audience, token_type = info.get("audience"), info.get("subject_token_type")
    if not isinstance(audience, str) or not audience:
        raise auth_error("the external_account credentials lack audience")
    if not isinstance(token_type, str) or not token_type:
        raise auth_error("the external_account credentials lack subject_token_type")
    token_url = _url(info.get("token_url") or DEFAULT_STS_URL, "token_url")
    source = info.get("credential_source")
    if not isinstance(source, dict):
        raise auth_error("the external_account credentials lack credential_source")
    for key, what in _REFUSED_SOURCES.items():
        if key in source:
            raise auth_error(f"{what} are not supported; use a file- or url-sourced credential_source")
    file, url = source.get("file"), source.get("url")
    if not (isinstance(file, str) and file) and not (isinstance(url, str) and url):
        raise auth_error("credential_source names neither a file nor a url")
    headers = source.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise auth_error("credential_source.headers is not an object of strings")
    if any("\r" in f"{k}{v}" or "\n" in f"{k}{v}" for k, v in headers.items()):
        raise auth_error("credential_source.headers holds a line break")
    form = source.get("format") or {"type": "text"}
    json_field = None
    if not isinstance(form, dict) or form.get("type", "text") not in ("text", "json"):
        raise auth_error('credential_source.format.type must be "text" or "json"')
    if form.get("type") == "json":
        json_field = form.get("subject_token_field_name")
        if not isinstance(json_field, str) or not json_field:
            raise auth_error("credential_source.format names no subject_token_field_name")
    impersonation = info.get("service_account_impersonation_url")
    settings = info.get("service_account_impersonation") or {}
    lifetime = (
        settings.get("token_lifetime_seconds", DEFAULT_LIFETIME) if isinstance(settings, dict) else None
    )
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or not 600 <= lifetime <= MAX_LIFETIME:
        raise auth_error(
            f"service_account_impersonation.token_lifetime_seconds must be 600 to {MAX_LIFETIME}"
        )
    client_id, client_secret = info.get("client_id"), info.get("client_secret")
    user_project = info.get("workforce_pool_user_project")
    return ExternalAccount(
        audience=audience,
        subject_token_type=token_type,
        token_url=token_url,
        source_file=file if isinstance(file, str) and file else None,
        source_url=url if isinstance(url, str) and url else None,
        source_headers={str(k): v for k, v in headers.items()},
        json_field=json_field,
        impersonation_url=_url(impersonation, "service_account_impersonation_url") if impersonation else None,
        lifetime=lifetime,
        user_project=user_project if isinstance(user_project, str) and user_project else None,
        client_id=client_id if isinstance(client_id, str) and client_id else None,
        client_secret=client_secret if isinstance(client_secret, str) and client_secret else None,
    )


def external_flow(account: ExternalAccount, scope: str, now: float) -> Steps[AccessToken]:
    """Subject token → STS → (impersonation): the access token."""
    subject = yield from _subject_token(account)
    response = yield from fetch(sts_request(account, subject, scope), STEP_TIMEOUT)
    federated = parse_token_answer(response, provider=PROVIDER, endpoint="Google STS")
    if account.impersonation_url is None:
        return federated
    assert isinstance(federated.token, str)
    return (yield from impersonate(account.impersonation_url, federated.token, scope, account.lifetime, now))


def sts_request(account: ExternalAccount, subject_token: str, scope: str) -> HttpRequest:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "audience": account.audience,
        "scope": scope,
        "requested_token_type": ACCESS_TOKEN_TYPE,
        "subject_token": subject_token,
        "subject_token_type": account.subject_token_type,
    }
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if account.client_id and account.client_secret:
        pair = f"{account.client_id}:{account.client_secret}".encode()
        headers["authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    elif account.user_project:
        # a workforce pool bills its user project when no app authenticates (google-auth's rule)
        form["options"] = json.dumps({"userProject": account.user_project}, separators=(",", ":"))
    return HttpRequest(url=account.token_url, headers=headers, body=urlencode(form).encode())


def impersonate(
    url: str, token: str, scope: str, lifetime: int, now: float, delegates: tuple[str, ...] = ()
) -> Steps[AccessToken]:
    """A service account's access token from IAM Credentials' generateAccessToken, asked with `token`."""
    body: dict[str, Any] = {"scope": [scope], "lifetime": f"{lifetime}s"}
    if delegates:
        body["delegates"] = list(delegates)
    request = HttpRequest(
        url=url,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        body=json.dumps(body).encode(),
    )
    response = yield from fetch(request, STEP_TIMEOUT)
    return parse_impersonation(response, now)


class _RpcError(msgspec.Struct):
    message: str = ""
    status: str | None = None


class _Impersonated(msgspec.Struct):
    accessToken: str | None = None
    expireTime: str | None = None
    error: _RpcError | None = None


_impersonated = msgspec.json.Decoder(_Impersonated)


def parse_impersonation(response: HttpResponse, now: float) -> AccessToken:
    """generateAccessToken's answer; a google.rpc.Status error becomes the LLMError it stands for."""
    try:
        answer = _impersonated.decode(response.body[: MAX_FILE_BYTES + 1])
    except (msgspec.DecodeError, msgspec.ValidationError):
        answer = _Impersonated()
    endpoint = "Google IAM Credentials (generateAccessToken)"
    if response.status >= 400:
        error = answer.error or _RpcError()
        reason = (error.message or f"HTTP {response.status}")[:300]
        refused = response.status in (400, 401, 403, 404)
        cls = AuthenticationError if refused else error_class_for_status(response.status)
        verdict = "refused the impersonation" if refused else "failed"
        raise cls(f"{endpoint} {verdict}: {reason}", provider=PROVIDER,
                  status_code=401 if refused else response.status, code=error.status)  # fmt: skip
    if not answer.accessToken or not answer.expireTime:
        raise InternalServerError(f"{endpoint} answered without accessToken / expireTime", provider=PROVIDER)
    try:
        expires = dt.datetime.fromisoformat(answer.expireTime.replace("Z", "+00:00"))
    except ValueError:
        raise InternalServerError(
            f"{endpoint} answered an unreadable expireTime", provider=PROVIDER
        ) from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    lifetime = expires.timestamp() - now
    if lifetime <= 0:
        raise AuthenticationError(f"{endpoint} answered a token that has already expired", provider=PROVIDER)
    return AccessToken(token=answer.accessToken, expires_in=lifetime)


def _subject_token(account: ExternalAccount) -> Steps[str]:
    if account.source_file is not None:
        try:
            raw = yield Blocking(partial(read_small_file, account.source_file))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise auth_error(f"the subject token file was not read: {reason}") from None
        where = "the subject token file"
    else:
        assert account.source_url is not None
        request = HttpRequest(url=account.source_url, headers=dict(account.source_headers), method="GET")
        try:
            response = yield from fetch(request, STEP_TIMEOUT)
        except LLMError as exc:
            raise auth_error(f"the subject token URL did not answer: {type(exc).__name__}") from None
        if response.status != 200:
            raise auth_error(f"the subject token URL answered HTTP {response.status}")
        raw, where = response.body, "the subject token URL's answer"
    if not isinstance(raw, bytes) or len(raw) > MAX_FILE_BYTES:
        raise auth_error(f"{where} is empty or larger than {MAX_FILE_BYTES} bytes")
    text = raw.decode("utf-8", "replace").strip()
    if account.json_field is not None:
        try:
            found = json.loads(text)
        except ValueError:
            raise auth_error(f"{where} is not JSON") from None
        value = found.get(account.json_field) if isinstance(found, dict) else None
        if not isinstance(value, str):
            raise auth_error(f"{where} has no string field {account.json_field[:60]!r}")
        text = value.strip()
    if not text:
        raise auth_error(f"{where} holds no subject token")
    return text


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not secure_or_local(value):
        raise auth_error(f"{name} must be an https URL (or http to this machine)")
    return value


def auth_error(message: str) -> AuthenticationError:
    return AuthenticationError(f"Google credentials: {message}", provider=PROVIDER)
