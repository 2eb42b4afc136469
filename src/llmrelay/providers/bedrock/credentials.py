"""Where a Bedrock call goes and how it authenticates, from the deployment and the environment.

LiteLLM's names: `api_key` for a Bedrock API key (bearer token), `api_base` or
`aws_bedrock_runtime_endpoint` for the endpoint, `aws_region_name`, and the AWS credential parameters
the chain reads (llmrelay.providers.aws.chain: keys, a profile, a role to assume, a web identity
token). Environment: AWS_BEARER_TOKEN_BEDROCK, AWS_REGION / AWS_DEFAULT_REGION,
AWS_BEDROCK_RUNTIME_ENDPOINT, and what the AWS chain reads.

A deployment's own credentials win over the environment's, so a configured deployment never signs
with whatever a process happens to have in its environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmrelay.providers.aws.chain import AwsChain, resolve
from llmrelay.providers.aws.environment import env as _env
from llmrelay.providers.aws.params import AWS_SECRETS, AWS_SETTINGS
from llmrelay.providers.bedrock.params import ENDPOINT_PARAM, REGION_PARAM
from llmrelay.providers.grants import SigningKeys
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

PROVIDER = "bedrock"

BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")
ENDPOINT_ENV = "AWS_BEDROCK_RUNTIME_ENDPOINT"
_HOST_REGION = re.compile(r"bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")
# the parameters that name AWS credentials (a region alone names none)
_CREDENTIAL_PARAMS = tuple(n for n in (*AWS_SECRETS, *AWS_SETTINGS) if n != REGION_PARAM)


@dataclass(frozen=True, slots=True)
class BearerToken:
    """A Bedrock API key, sent as `Authorization: Bearer`."""

    token: str

    def __repr__(self) -> str:
        return "BearerToken(hidden)"


# SigV4 keys, under the name Bedrock's callers know
AwsKeys = SigningKeys

# keys that sign in prepare_*, or the chain the engine runs first (then `authorize` signs)
Credentials = SigningKeys | BearerToken | AwsChain


def _option(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    return str(value) if value else None


def credentials(deployment: Deployment) -> Credentials:
    """The deployment's API key, its AWS credentials, the environment's bearer token, then the
    AWS default chain (environment keys, web identity, shared files, container, instance metadata)."""
    options = deployment.options or {}
    if deployment.api_key:
        return BearerToken(deployment.api_key)
    named = any(options.get(name) for name in _CREDENTIAL_PARAMS)
    if not named:
        token = _env(BEARER_ENV)
        if token:
            return BearerToken(token)
    return resolve(deployment, PROVIDER, region(deployment, endpoint(deployment)))


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
