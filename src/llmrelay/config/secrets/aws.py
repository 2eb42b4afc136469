"""AWS Secrets Manager (`key_management_system: aws_secret_manager`): GetSecretValue over the
service's JSON API (POST /, `X-Amz-Target: secretsmanager.GetSecretValue`), signed with SigV4.

Configured as LiteLLM's is, from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN (optional), and the region in AWS_REGION_NAME (LiteLLM's) or AWS_REGION. The
endpoint is https://secretsmanager.<region>.amazonaws.com, or the AWS SDKs' overrides
AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL (a VPC endpoint, a test server). These
variables are never themselves looked up in the manager. Profiles and instance roles are not read:
without keys in the environment the start stops, naming them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.http import exchange
from llmrelay.config.secrets.sigv4 import AwsCredentials, signed_headers

SYSTEM = "aws_secret_manager"
SERVICE = "secretsmanager"
OWN_VARIABLES = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION_NAME",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    }
)
# the error types that mean "no such secret (version)": the name is then looked up in the environment
_NOT_FOUND = frozenset({"ResourceNotFoundException"})


class AwsSecretsManager:
    """Reads secrets by name (SecretId) from one region's Secrets Manager."""

    system = SYSTEM
    own_variables = OWN_VARIABLES

    def __init__(self, env: Mapping[str, str]) -> None:
        access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            raise SecretError(
                f"{SYSTEM} needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            )
        region = env.get("AWS_REGION_NAME") or env.get("AWS_REGION")
        if not region:
            raise SecretError(f"{SYSTEM} needs the region in AWS_REGION_NAME (or AWS_REGION)")
        self._credentials = AwsCredentials(access_key, secret_key, env.get("AWS_SESSION_TOKEN") or None)
        self._region = region
        endpoint = env.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or env.get("AWS_ENDPOINT_URL")
        self.endpoint = (endpoint or f"https://{SERVICE}.{region}.amazonaws.com").rstrip("/") + "/"

    def read(self, name: str) -> str | None:
        """The secret's SecretString, None if there is no such secret. Raises SecretError."""
        body = json.dumps({"SecretId": name}).encode()
        headers = signed_headers(
            self._credentials,
            region=self._region,
            service=SERVICE,
            url=self.endpoint,
            headers={
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": "secretsmanager.GetSecretValue",
            },
            body=body,
        )
        answer = exchange(SYSTEM, "POST", self.endpoint, headers, body)
        document = _json_object(answer.body)
        if answer.status != 200:
            # the error's type only: its message may quote the request or the stored value
            error_type = str(document.get("__type", "")).rpartition("#")[2] if document else ""
            if 400 <= answer.status < 500 and error_type in _NOT_FOUND:
                return None
            failure = f"{SYSTEM}: GetSecretValue for {name!r} failed: HTTP {answer.status}"
            raise SecretError(f"{failure} {error_type}" if error_type else failure)
        value = document.get("SecretString") if document else None
        if not isinstance(value, str):
            raise SecretError(
                f"{SYSTEM}: secret {name!r} holds no SecretString (binary secrets are not read)"
            )
        return value


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
