"""watsonx.ai credentials: a ready bearer token, a Cloud Pak for Data ZenApiKey, or an IBM Cloud API
key exchanged at IAM for an access token (`POST {iam}/identity/token`, form-encoded
`grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=...`), which the engine's token cache
keeps until shortly before it expires and refreshes for concurrent calls once (llmrelay.core
.credentials). The API key never appears in an error, a repr or a cache key."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from urllib.parse import urlencode

import msgspec

from llmrelay.providers.grants import AccessToken, parse_token_answer
from llmrelay.providers.watsonx.params import IAM_URL_PARAM, TOKEN_PARAM, ZEN_KEY_PARAM
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, error_class_for_status
from llmrelay.types.http import HttpRequest, HttpResponse

DEFAULT_IAM_URL = "https://iam.cloud.ibm.com/identity/token"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
# LiteLLM's environment variables, in its order
API_KEY_ENV = ("WATSONX_APIKEY", "WATSONX_API_KEY", "WX_API_KEY")
TOKEN_ENV = ("WATSONX_TOKEN",)
ZEN_KEY_ENV = ("WATSONX_ZENAPIKEY",)
IAM_URL_ENV = ("WATSONX_IAM_URL",)


class _IamError(msgspec.Struct):
    # IAM answers errors as {"errorCode": "BXNIM0415E", "errorMessage": "...", "context": {...}}
    errorCode: str | None = None
    errorMessage: str | None = None


_iam_error = msgspec.json.Decoder(_IamError)


@dataclass(frozen=True, slots=True)
class IamApiKeyGrant:
    provider: str
    api_key: str = field(repr=False)
    url: str = DEFAULT_IAM_URL

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.url}|{self.api_key}".encode()).hexdigest()[:24]
        return f"ibm-iam:{digest}"

    def token_request(self, now: float) -> HttpRequest:
        body = urlencode({"grant_type": APIKEY_GRANT, "apikey": self.api_key}).encode()
        headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
        return HttpRequest(url=self.url, headers=headers, body=body)

    def parse_token(self, response: HttpResponse) -> AccessToken:
        if response.status >= 400:
            try:
                answer = _iam_error.decode(response.body)
            except (msgspec.DecodeError, msgspec.ValidationError):
                answer = _IamError()
            if answer.errorMessage:
                refused = response.status in (400, 401, 403)
                cls = AuthenticationError if refused else error_class_for_status(response.status)
                raise cls(
                    f"IBM Cloud IAM {'refused the API key' if refused else 'failed'}: "
                    f"{answer.errorMessage[:300]}",
                    provider=self.provider,
                    status_code=401 if refused else response.status,
                    code=answer.errorCode,
                )
        return parse_token_answer(response, provider=self.provider, endpoint="IBM Cloud IAM")


# what a call carries: a ready Authorization header value, or the grant that mints the token
Credential = str | IamApiKeyGrant


def credential(deployment: Deployment, provider: str) -> Credential:
    """The deployment's own credentials first (token, ZenApiKey, API key), then the environment's
    in the same order, as LiteLLM reads them."""
    options = deployment.options or {}
    found = _choose(
        options.get(TOKEN_PARAM), options.get(ZEN_KEY_PARAM), deployment.api_key, deployment, provider
    )
    if found is None:
        found = _choose(_env(TOKEN_ENV), _env(ZEN_KEY_ENV), _env(API_KEY_ENV), deployment, provider)
    if found is None:
        raise AuthenticationError(
            "no watsonx credentials: pass api_key= (an IBM Cloud API key; or set WATSONX_APIKEY, "
            "WATSONX_API_KEY or WX_API_KEY), a bearer token as token= (or WATSONX_TOKEN), or a Cloud "
            "Pak ZenApiKey as zen_api_key= (or WATSONX_ZENAPIKEY)",
            provider=provider,
            model=deployment.model,
        )
    return found


def _choose(
    token: object, zen_key: object, api_key: object, deployment: Deployment, provider: str
) -> Credential | None:
    if token:
        return f"Bearer {token}"
    if zen_key:
        return f"ZenApiKey {zen_key}"
    if api_key:
        url = (deployment.options or {}).get(IAM_URL_PARAM) or _env(IAM_URL_ENV) or DEFAULT_IAM_URL
        return IamApiKeyGrant(provider, str(api_key), str(url))
    return None


def _env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None
