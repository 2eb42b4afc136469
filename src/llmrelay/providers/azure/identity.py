"""Azure identities that need no secret in the config, as credential flows the engine runs
(llmrelay.providers.grants; the token cached and renewed before it expires by core/credentials.py):

- **workload identity** (AKS, or any federation Entra ID trusts): the federated token in the file
  AZURE_FEDERATED_TOKEN_FILE names (read in a worker thread at each refresh: the kubelet rotates
  it) is the client assertion of a client-credentials grant for AZURE_CLIENT_ID in AZURE_TENANT_ID,
  at AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com);
- **managed identity** on App Service, Functions and Container Apps: `GET {IDENTITY_ENDPOINT}?
  api-version=2019-08-01&resource=...` with the `X-IDENTITY-HEADER` the platform sets in
  IDENTITY_HEADER;
- **managed identity** on VMs, scale sets and AKS nodes: the instance metadata service, `GET
  http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...` with
  `Metadata: true` (AZURE_POD_IDENTITY_AUTHORITY_HOST names another host, as azure-identity reads it);
  `client_id` picks a user-assigned identity.

The resource is the scope without `/.default` (https://cognitiveservices.azure.com for Azure OpenAI
and Azure AI). Answers: `{"access_token", "expires_in" | "expires_on", ...}` (numbers or strings).
No token, header secret or assertion is ever quoted in an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote, urlencode

import msgspec

from llmrelay.providers.flows import Steps, fetch, read_small_file, secure_or_local
from llmrelay.providers.grants import AccessToken, Blocking, FlowSteps, parse_token_answer
from llmrelay.types.errors import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    Timeout,
    error_class_for_status,
)
from llmrelay.types.http import HttpRequest, HttpResponse

PROVIDER = "azure"
IMDS_HOST = "http://169.254.169.254"
IMDS_PATH = "/metadata/identity/oauth2/token"
IMDS_API_VERSION = "2018-02-01"
APP_SERVICE_API_VERSION = "2019-08-01"
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# IMDS answers locally within a second; it is asked up to 3 times before it is taken as absent
METADATA_TIMEOUT = 2.0
METADATA_ATTEMPTS = 3
TOKEN_TIMEOUT = 15.0
MAX_ANSWER_BYTES = 64 * 1024


def resource_of(scope: str) -> str:
    return scope.removesuffix("/.default")


@dataclass(frozen=True, slots=True)
class ManagedIdentity:
    """A managed identity's token: from the App Service endpoint when `endpoint` is set, else IMDS."""

    resource: str
    client_id: str | None = None
    endpoint: str | None = None
    endpoint_header: str | None = field(default=None, repr=False)
    imds_host: str = IMDS_HOST

    @property
    def cache_key(self) -> str:
        material = repr(dataclasses.astuple(self))
        return "azure-mi:" + hashlib.sha256(material.encode()).hexdigest()[:32]

    def flow(self, now: float) -> FlowSteps:
        if self.endpoint is not None:
            response = yield from fetch(self.app_service_request(), TOKEN_TIMEOUT)
            return parse_identity_answer(response, now, "the App Service managed identity endpoint")
        request = self.imds_request()
        answer: HttpResponse | None = None
        for attempt in range(METADATA_ATTEMPTS):
            try:
                answer = yield from fetch(request, METADATA_TIMEOUT)
                break
            except (APIConnectionError, Timeout) as exc:
                if attempt + 1 == METADATA_ATTEMPTS:
                    raise AuthenticationError(
                        f"the Azure instance metadata service ({self.imds_host}) did not answer "
                        f"({type(exc).__name__}): no managed identity here",
                        provider=PROVIDER,
                    ) from None
        assert answer is not None
        return parse_identity_answer(answer, now, "the Azure instance metadata service")

    def app_service_request(self) -> HttpRequest:
        assert self.endpoint is not None and self.endpoint_header is not None
        query = {"api-version": APP_SERVICE_API_VERSION, "resource": self.resource}
        if self.client_id:
            query["client_id"] = self.client_id
        separator = "&" if "?" in self.endpoint else "?"
        return HttpRequest(url=self.endpoint + separator + urlencode(query), method="GET",
                           headers={"x-identity-header": self.endpoint_header})  # fmt: skip

    def imds_request(self) -> HttpRequest:
        query = {"api-version": IMDS_API_VERSION, "resource": self.resource}
        if self.client_id:
            query["client_id"] = self.client_id
        url = f"{self.imds_host.rstrip('/')}{IMDS_PATH}?{urlencode(query)}"
        return HttpRequest(url=url, method="GET", headers={"metadata": "true"})


@dataclass(frozen=True, slots=True)
class WorkloadIdentity:
    """Workload identity federation: a client-credentials grant with the federated token as assertion."""

    tenant_id: str
    client_id: str
    token_file: str
    scope: str
    authority: str

    @property
    def cache_key(self) -> str:
        material = repr(dataclasses.astuple(self))
        return "azure-wi:" + hashlib.sha256(material.encode()).hexdigest()[:32]

    def flow(self, now: float) -> FlowSteps:
        assertion = yield from self._assertion()
        response = yield from fetch(self.token_request(assertion), TOKEN_TIMEOUT)
        return parse_token_answer(response, provider=PROVIDER, endpoint="Microsoft Entra ID")

    def token_request(self, assertion: str) -> HttpRequest:
        url = f"{self.authority.rstrip('/')}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "scope": self.scope,
                "client_assertion_type": JWT_ASSERTION, "client_assertion": assertion}  # fmt: skip
        return HttpRequest(url=url, headers={"content-type": "application/x-www-form-urlencoded"},
                           body=urlencode(form).encode())  # fmt: skip

    def _assertion(self) -> Steps[str]:
        try:
            raw = yield Blocking(partial(read_small_file, self.token_file))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise AuthenticationError(
                f"the file AZURE_FEDERATED_TOKEN_FILE names was not read: {reason}", provider=PROVIDER
            ) from None
        text = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else ""
        if not text:
            raise AuthenticationError("the file AZURE_FEDERATED_TOKEN_FILE names is empty", provider=PROVIDER)
        return text


def checked_authority(authority: str) -> str:
    """AZURE_AUTHORITY_HOST / azure_authority_host, bare host names taken as https (azure-identity's)."""
    if "://" not in authority:
        authority = "https://" + authority
    if not secure_or_local(authority):
        raise AuthenticationError(
            "the Entra ID authority host must be https (or http to this machine)", provider=PROVIDER
        )
    return authority


class _IdentityAnswer(msgspec.Struct):
    access_token: str | None = None
    expires_in: str | int | float | None = None
    expires_on: str | int | float | None = None
    error: str | None = None
    error_description: str | None = None
    # App Service's error shape
    message: str | None = None
    statusCode: int | None = None


_identity_answer = msgspec.json.Decoder(_IdentityAnswer)


def parse_identity_answer(response: HttpResponse, now: float, source: str) -> AccessToken:
    """A managed identity endpoint's answer; an error status becomes the LLMError it stands for."""
    if len(response.body) > MAX_ANSWER_BYTES:
        raise InternalServerError(f"{source} answered more than {MAX_ANSWER_BYTES} bytes", provider=PROVIDER)
    try:
        answer = _identity_answer.decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        answer = _IdentityAnswer()
    if response.status >= 400:
        reason = answer.error_description or answer.message or answer.error or f"HTTP {response.status}"
        refused = response.status in (400, 401, 403, 404)
        cls = AuthenticationError if refused else error_class_for_status(response.status)
        verdict = "refused" if refused else "failed"
        raise cls(f"{source} {verdict}: {reason[:300]}", provider=PROVIDER,
                  status_code=401 if refused else response.status, code=answer.error)  # fmt: skip
    if not answer.access_token:
        raise AuthenticationError(f"{source} answered without an access_token", provider=PROVIDER)
    lifetime = _seconds(answer.expires_in)
    if lifetime is None:
        expires_on = _seconds(answer.expires_on)
        lifetime = None if expires_on is None else expires_on - now
    if lifetime is not None and lifetime <= 0:
        raise AuthenticationError(f"{source} answered a token that has already expired", provider=PROVIDER)
    return AccessToken(token=answer.access_token, expires_in=lifetime)


def _seconds(value: str | int | float | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InternalServerError(
            "an Azure identity answer has an unreadable expiry", provider=PROVIDER
        ) from None
