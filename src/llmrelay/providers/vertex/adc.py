"""Google Application Default Credentials for Vertex AI, as a CredentialFlow the engine runs
(llmrelay.providers.grants; files read in a worker thread, HTTP over the engine's transport, the
token cached and renewed before it expires by core/credentials.py).

The order is google-auth's `google.auth.default()`:

1. the credentials the deployment names (`vertex_credentials`: JSON text or a file path), else the
   file GOOGLE_APPLICATION_CREDENTIALS names — either is used alone: a failure is reported, not
   passed over;
2. gcloud's well-known file, `application_default_credentials.json` in CLOUDSDK_CONFIG (else
   ~/.config/gcloud, %APPDATA%\\gcloud on Windows), what `gcloud auth application-default login`
   writes;
3. the metadata server of Compute Engine, GKE (workload identity), Cloud Run and Cloud Functions:
   `GET http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token`
   with `Metadata-Flavor: Google` (GCE_METADATA_HOST, or the older GCE_METADATA_ROOT, names another
   host; NO_GCE_CHECK=true skips it). An answer without `Metadata-Flavor: Google` is not Google's.

A credentials JSON is a service-account key or authorized-user credentials (one token request,
providers/vertex/auth.py), an `external_account` (workload identity federation,
providers/vertex/external.py), or an `impersonated_service_account` (gcloud's
`--impersonate-service-account`: its `source_credentials` ask generateAccessToken).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

from llmrelay.providers.flows import Steps, fetch, read_file_if_present, secure_or_local
from llmrelay.providers.grants import AccessToken, Blocking, FlowSteps, parse_token_answer
from llmrelay.providers.vertex.auth import (
    SCOPE,
    credentials_request,
    load_credentials,
    parse_credentials,
    parse_token_response,
)
from llmrelay.providers.vertex.external import (
    DEFAULT_LIFETIME,
    PROVIDER,
    auth_error,
    external_flow,
    impersonate,
    read_external_account,
)
from llmrelay.types.errors import APIConnectionError, AuthenticationError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

METADATA_HOST = "metadata.google.internal"
TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"
WELL_KNOWN_FILE = "application_default_credentials.json"
# google-auth's: a metadata server answers within 3 s, and is asked 3 times before it is taken as absent
METADATA_TIMEOUT = 3.0
METADATA_ATTEMPTS = 3
TOKEN_TIMEOUT = 15.0
# a host, with an optional port: nothing that would turn the URL into another one
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$")


@dataclass(frozen=True, slots=True)
class GoogleAdc:
    """Where a deployment's Google credentials come from (read from the deployment and the
    environment on the event loop, without I/O); the flow does the reading and the asking."""

    # the credentials JSON text or file path given outright (deployment, GOOGLE_APPLICATION_CREDENTIALS)
    source: str | None = field(default=None, repr=False)
    well_known: str | None = None
    metadata_host: str | None = METADATA_HOST
    scope: str = SCOPE

    @property
    def cache_key(self) -> str:
        # every field, the source's text included, goes into the digest only
        material = repr(dataclasses.astuple(self))
        return "google-adc:" + hashlib.sha256(material.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"GoogleAdc({self.cache_key})"

    def flow(self, now: float) -> FlowSteps:
        if self.source is not None:
            info = yield Blocking(partial(load_credentials, self.source))
            return (yield from credentials_flow(_object(info), self.scope, now))
        if self.well_known is not None:
            where = f"gcloud credentials file {self.well_known!r}"
            try:
                found = yield Blocking(partial(read_file_if_present, self.well_known))
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                raise auth_error(f"cannot read the {where}: {reason or type(exc).__name__}") from None
            if isinstance(found, bytes):
                info = parse_credentials(found.decode("utf-8-sig", "replace"), where)
                return (yield from credentials_flow(info, self.scope, now))
        if self.metadata_host is not None:
            try:
                return (yield from metadata_token(self.metadata_host, self.scope))
            except (APIConnectionError, Timeout):
                pass  # not on Google Cloud: no source is left, said below
        raise AuthenticationError(
            "no Google credentials for Vertex AI: tried vertex_credentials, "
            "GOOGLE_APPLICATION_CREDENTIALS, gcloud's application_default_credentials.json and the "
            "metadata server; or pass an access token as api_key=",
            provider=PROVIDER,
        )


def credentials_flow(
    info: dict[str, Any], scope: str, now: float, nested: bool = False
) -> Steps[AccessToken]:
    """The access token of one credentials JSON, whatever its type."""
    kind = info.get("type")
    if kind == "external_account":
        return (yield from external_flow(read_external_account(info), scope, now))
    if kind == "impersonated_service_account":
        if nested:
            raise auth_error("impersonated_service_account credentials cannot be nested")
        source, url = info.get("source_credentials"), info.get("service_account_impersonation_url")
        if not isinstance(source, dict):
            raise auth_error("the impersonated_service_account credentials lack source_credentials")
        if not isinstance(url, str) or not secure_or_local(url):
            raise auth_error("service_account_impersonation_url must be an https URL")
        delegates = info.get("delegates") or []
        if not isinstance(delegates, list) or not all(isinstance(d, str) for d in delegates):
            raise auth_error("delegates must be a list of service account names")
        base = yield from credentials_flow(source, SCOPE, now, nested=True)
        assert isinstance(base.token, str)
        return (yield from impersonate(url, base.token, scope, DEFAULT_LIFETIME, now, tuple(delegates)))
    response = yield from fetch(credentials_request(info, scope, now), TOKEN_TIMEOUT)
    return parse_token_response(response)


def metadata_request(host: str, scope: str) -> HttpRequest:
    if not _HOST.match(host):
        raise auth_error("GCE_METADATA_HOST must be a host name or address, with an optional port")
    url = f"http://{host}{TOKEN_PATH}?scopes={quote(scope, safe='')}"
    return HttpRequest(url=url, headers={"metadata-flavor": "Google"}, method="GET")


def metadata_token(host: str, scope: str) -> Steps[AccessToken]:
    """The attached service account's token from the metadata server."""
    request = metadata_request(host, scope)
    response: HttpResponse | None = None
    for attempt in range(METADATA_ATTEMPTS):
        try:
            response = yield from fetch(request, METADATA_TIMEOUT)
            break
        except (APIConnectionError, Timeout):
            if attempt + 1 == METADATA_ATTEMPTS:
                raise
    assert response is not None
    if response.header("metadata-flavor") != "Google":
        raise AuthenticationError(
            f"{host} answered without Metadata-Flavor: Google: it is not a Google metadata server",
            provider=PROVIDER,
        )
    return parse_token_answer(response, provider=PROVIDER, endpoint="the Google metadata server")


def well_known_file() -> str | None:
    """gcloud's application-default credentials file (its path; whether it exists is the flow's to see)."""
    config = os.environ.get("CLOUDSDK_CONFIG")
    if config:
        return os.path.join(config, WELL_KNOWN_FILE)
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return os.path.join(appdata, "gcloud", WELL_KNOWN_FILE) if appdata else None
    home = os.path.expanduser("~")
    return None if home == "~" else os.path.join(home, ".config", "gcloud", WELL_KNOWN_FILE)


def metadata_host() -> str | None:
    """The metadata server's host, or None when NO_GCE_CHECK turns it off."""
    if os.environ.get("NO_GCE_CHECK", "").lower() in ("true", "1"):
        return None
    return os.environ.get("GCE_METADATA_HOST") or os.environ.get("GCE_METADATA_ROOT") or METADATA_HOST


def _object(info: object) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise auth_error("the credentials are not a JSON object")
    return info
