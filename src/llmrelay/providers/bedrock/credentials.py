"""Where a Bedrock call goes and how it authenticates, from the deployment and the environment.

LiteLLM's names: `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`, `aws_region_name`,
`aws_profile_name`, `aws_bedrock_runtime_endpoint` (deployment options: litellm_params or SDK keywords,
never the request body), `api_key` for a Bedrock API key (bearer token), `api_base` for the endpoint.
Environment: AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
AWS_REGION / AWS_DEFAULT_REGION, AWS_BEDROCK_RUNTIME_ENDPOINT.

A deployment's own credentials win over the environment's, so a configured deployment never signs
with whatever a process happens to have in its environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from llmrelay.providers.bedrock.params import (
    ACCESS_KEY_PARAM,
    ENDPOINT_PARAM,
    PROFILE_PARAM,
    REGION_PARAM,
    SECRET_KEY_PARAM,
    SESSION_TOKEN_PARAM,
    UNSUPPORTED_PARAMS,
)
from llmrelay.providers.grants import SigningKeys
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError

PROVIDER = "bedrock"

BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")
ENDPOINT_ENV = "AWS_BEDROCK_RUNTIME_ENDPOINT"
_HOST_REGION = re.compile(r"bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")


# SigV4 keys; their region is found by runtime_base (keys from a profile carry it: profile.py)
AwsKeys = SigningKeys


@dataclass(frozen=True, slots=True)
class BearerToken:
    """A Bedrock API key, sent as `Authorization: Bearer`."""

    token: str

    def __repr__(self) -> str:
        return "BearerToken(hidden)"


@dataclass(frozen=True, slots=True)
class Profile:
    """A named profile of the shared AWS files: its keys are read by the engine, in a worker thread
    and once for many calls (profile.ProfileGrant), and the request is signed in `authorize`."""

    name: str


Credentials = AwsKeys | BearerToken | Profile


def _option(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    return str(value) if value else None


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def credentials(deployment: Deployment) -> Credentials:
    """The deployment's API key or keys, its profile, then the environment's bearer token or keys."""
    options = deployment.options or {}
    for name in UNSUPPORTED_PARAMS:
        if options.get(name):
            raise BadRequestError(
                f"{name} (assume-role) is not supported for Bedrock: pass temporary credentials as "
                "aws_access_key_id, aws_secret_access_key and aws_session_token",
                provider=PROVIDER,
                model=deployment.model,
                param=name,
            )
    if deployment.api_key:
        return BearerToken(deployment.api_key)
    access, secret = _option(options, ACCESS_KEY_PARAM), _option(options, SECRET_KEY_PARAM)
    if access or secret:
        if not (access and secret):
            raise AuthenticationError(
                "Bedrock needs both aws_access_key_id and aws_secret_access_key",
                provider=PROVIDER,
                model=deployment.model,
            )
        return AwsKeys(access, secret, _option(options, SESSION_TOKEN_PARAM))
    profile = _option(options, PROFILE_PARAM)
    if profile:
        return Profile(profile)
    token = _env(BEARER_ENV)
    if token:
        return BearerToken(token)
    access, secret = _env("AWS_ACCESS_KEY_ID"), _env("AWS_SECRET_ACCESS_KEY")
    if access and secret:
        return AwsKeys(access, secret, _env("AWS_SESSION_TOKEN"))
    raise AuthenticationError(
        "no AWS credentials for Bedrock: pass aws_access_key_id and aws_secret_access_key (or "
        "aws_profile_name), or a Bedrock API key as api_key; or set AWS_ACCESS_KEY_ID and "
        f"AWS_SECRET_ACCESS_KEY, or {BEARER_ENV}",
        provider=PROVIDER,
        model=deployment.model,
    )


def region(deployment: Deployment, endpoint: str | None = None) -> str:
    """aws_region_name, else AWS_REGION / AWS_DEFAULT_REGION, else the region an AWS endpoint names."""
    options = deployment.options or {}
    found = _option(options, REGION_PARAM) or _env(*REGION_ENV)
    if found:
        return found
    if endpoint:
        match = _HOST_REGION.search(endpoint)
        if match:
            return match.group(1)
    raise BadRequestError(
        "no AWS region for Bedrock: pass aws_region_name (e.g. 'us-east-1') or set AWS_REGION",
        provider=PROVIDER,
        model=deployment.model,
        param=REGION_PARAM,
    )


def endpoint(deployment: Deployment) -> str | None:
    """An endpoint override: api_base, aws_bedrock_runtime_endpoint, or AWS_BEDROCK_RUNTIME_ENDPOINT."""
    options = deployment.options or {}
    found = deployment.api_base or _option(options, ENDPOINT_PARAM) or _env(ENDPOINT_ENV)
    return found.rstrip("/") if found else None


def runtime_base(deployment: Deployment, signing: bool) -> tuple[str, str | None]:
    """(endpoint base URL, region). A region is needed to sign (SigV4) or to name the default
    endpoint; a bearer token sent to an endpoint override needs none."""
    override = endpoint(deployment)
    if override and not signing:
        options = deployment.options or {}
        return override, _option(options, REGION_PARAM) or _env(*REGION_ENV)
    where = region(deployment, override)
    return override or f"https://bedrock-runtime.{where}.amazonaws.com", where
