"""What both SageMaker adapters share: where an endpoint is, how a request to it is signed, how its
errors read.

`POST {runtime}/endpoints/{name}/invocations` (InvokeEndpoint) or `.../invocations-response-stream`
(InvokeEndpointWithResponseStream), where runtime is `https://runtime.sagemaker.{region}.amazonaws.com`
unless `api_base` overrides it. The region is `aws_region_name`, else AWS_REGION / AWS_DEFAULT_REGION.
Requests are SigV4-signed for the signing name `sagemaker` with the keys of the AWS chain
(llmrelay.providers.aws.chain): given outright they sign in `prepare_*`; fetched by the engine, in
`authorize`.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmrelay.providers.aws.chain import AwsChain, resolve
from llmrelay.providers.aws.environment import env
from llmrelay.providers.aws.params import REGION_PARAM
from llmrelay.providers.aws.refusals import keys_refused
from llmrelay.providers.aws.signing import sigv4_headers
from llmrelay.providers.bedrock.errors import classify
from llmrelay.providers.grants import Credential, SigningKeys
from llmrelay.providers.paths import path_part
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.http import HttpRequest

SIGNING_NAME = "sagemaker"
EVENT_STREAM = "application/vnd.amazon.eventstream"


def region(deployment: Deployment, provider: str) -> str | None:
    options = deployment.options or {}
    value = options.get(REGION_PARAM)
    return str(value) if value else env("AWS_REGION", "AWS_DEFAULT_REGION")


def _required_region(deployment: Deployment, provider: str) -> str:
    found = region(deployment, provider)
    if not found:
        raise BadRequestError(
            f"no AWS region for {provider}: pass aws_region_name (e.g. 'us-east-1') or set AWS_REGION",
            provider=provider,
            model=deployment.model,
            param=REGION_PARAM,
        )
    return found


def endpoint_name(deployment: Deployment, provider: str) -> str:
    name = deployment.model
    if not name or "/" in name:
        raise BadRequestError(
            f"a SageMaker model string names one endpoint: '{provider}/<endpoint-name>'",
            provider=provider,
            model=name,
            param="model",
        )
    return name


class SageMakerEndpoint:
    """The request, signing and error half both SageMaker adapters share (mixed into each)."""

    name: str

    def invocation(self, deployment: Deployment, body: bytes, *, stream: bool) -> HttpRequest:
        if deployment.api_key:
            raise BadRequestError(
                f"{self.name} signs with AWS credentials (SigV4) and takes no api_key: pass "
                "aws_access_key_id / aws_secret_access_key, a role or a profile, or rely on the AWS chain",
                provider=self.name,
                model=deployment.model,
                param="api_key",
            )
        where = _required_region(deployment, self.name)
        base = (deployment.api_base or f"https://runtime.sagemaker.{where}.amazonaws.com").rstrip("/")
        operation = "invocations-response-stream" if stream else "invocations"
        name = path_part(endpoint_name(deployment, self.name), provider=self.name)
        url = f"{base}/endpoints/{name}/{operation}"
        headers = {
            "content-type": "application/json",
            "accept": EVENT_STREAM if stream else "application/json",
        }
        keys = resolve(deployment, self.name, where)
        if isinstance(keys, SigningKeys):
            headers.update(
                sigv4_headers(keys, SIGNING_NAME, where, "POST", url, headers, body, provider=self.name)
            )
        if deployment.extra_headers:
            # never over the signature's headers: extra headers are not part of it
            headers = {**deployment.extra_headers, **headers}
        return HttpRequest(url=url, headers=headers, body=body, stream=stream)

    def token_grant(self, deployment: Deployment) -> AwsChain | None:
        keys = resolve(deployment, self.name, _required_region(deployment, self.name))
        return keys if isinstance(keys, AwsChain) else None

    def credential_refused(self, status: int, headers: Mapping[str, str]) -> bool:
        return keys_refused(status, headers)

    def authorize(self, request: HttpRequest, token: Credential) -> HttpRequest:
        if not isinstance(token, SigningKeys) or token.region is None:
            raise TypeError("a SageMaker request is signed with the keys of an AwsChain")
        body = request.body or b""
        request.headers.update(
            sigv4_headers(
                token,
                SIGNING_NAME,
                token.region,
                request.method,
                request.url,
                request.headers,
                body,
                provider=self.name,
            )
        )
        return request

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        # AWS's JSON error shape (x-amzn-ErrorType, message / Message), as Bedrock's
        error = classify(status, headers, body)
        error.provider = self.name
        return error

    def serving_region(self, deployment: Deployment) -> str | None:
        return region(deployment, self.name)
