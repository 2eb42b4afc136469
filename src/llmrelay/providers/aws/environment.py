"""The AWS environment variables the credentials chain reads, taken once per call on the event loop
(environment reads touch no file) and handed to the flow, which does the I/O they point to."""

from __future__ import annotations

import os
from dataclasses import dataclass

from llmrelay.providers.grants import SigningKeys

DEFAULT_IMDS = "http://169.254.169.254"
# botocore's defaults: metadata endpoints answer within a second, or are not there
DEFAULT_METADATA_TIMEOUT = 1.0
MAX_METADATA_ATTEMPTS = 5


def env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return min(max(value, low), high)


@dataclass(frozen=True, slots=True)
class AwsEnvironment:
    """What the environment says about each source of the default chain. Secrets (keys, the
    container token) are kept out of the repr."""

    keys: SigningKeys | None = None
    web_identity_token_file: str | None = None
    role_arn: str | None = None
    role_session_name: str | None = None
    container_relative_uri: str | None = None
    container_full_uri: str | None = None
    container_token: str | None = None
    container_token_file: str | None = None
    imds_disabled: bool = False
    imds_endpoint: str = DEFAULT_IMDS
    metadata_timeout: float = DEFAULT_METADATA_TIMEOUT
    metadata_attempts: int = 1
    sts_endpoint: str | None = None

    def __repr__(self) -> str:
        return (
            f"AwsEnvironment(keys={'set' if self.keys else None}, web_identity={self.role_arn!r}, "
            f"container={bool(self.container_relative_uri or self.container_full_uri)}, "
            f"imds={'off' if self.imds_disabled else self.imds_endpoint!r})"
        )

    @property
    def in_container(self) -> bool:
        return bool(self.container_relative_uri or self.container_full_uri)


def read_environment(region: str) -> AwsEnvironment:
    access, secret = env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")
    keys = SigningKeys(access, secret, env("AWS_SESSION_TOKEN"), region=region) if access and secret else None
    return AwsEnvironment(
        keys=keys,
        web_identity_token_file=env("AWS_WEB_IDENTITY_TOKEN_FILE"),
        role_arn=env("AWS_ROLE_ARN"),
        role_session_name=env("AWS_ROLE_SESSION_NAME"),
        container_relative_uri=env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        container_full_uri=env("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        container_token=env("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        container_token_file=env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        imds_disabled=(env("AWS_EC2_METADATA_DISABLED") or "").lower() == "true",
        imds_endpoint=env("AWS_EC2_METADATA_SERVICE_ENDPOINT") or DEFAULT_IMDS,
        metadata_timeout=_number("AWS_METADATA_SERVICE_TIMEOUT", DEFAULT_METADATA_TIMEOUT, 0.1, 30.0),
        metadata_attempts=int(_number("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, MAX_METADATA_ATTEMPTS)),
        sts_endpoint=env("AWS_ENDPOINT_URL_STS"),
    )
