"""Request authentication: AWS Signature Version 4 (llmrelay.providers.aws.signing, for Bedrock's
signing name) or a Bedrock API key as a bearer token."""

from __future__ import annotations

from llmrelay.providers.aws import signing
from llmrelay.providers.bedrock.credentials import AwsKeys, BearerToken, Credentials
from llmrelay.providers.grants import SigningKeys

SIGNING_NAME = "bedrock"  # the service's signing name (its endpoint prefix is bedrock-runtime)


def auth_headers(
    credentials: Credentials, region: str | None, method: str, url: str, headers: dict[str, str], body: bytes
) -> dict[str, str]:
    """The headers that authenticate this exact request (SigV4 needs the region)."""
    if isinstance(credentials, BearerToken):
        return {"authorization": f"Bearer {credentials.token}"}
    if not isinstance(credentials, SigningKeys):
        raise TypeError("a chain's keys are fetched by the engine: sign with sigv4_headers")
    if region is None:
        raise ValueError("SigV4 signing needs a region")
    return sigv4_headers(credentials, region, method, url, headers, body)


def sigv4_headers(
    keys: SigningKeys, region: str, method: str, url: str, headers: dict[str, str], body: bytes
) -> dict[str, str]:
    return signing.sigv4_headers(keys, SIGNING_NAME, region, method, url, headers, body, provider="bedrock")


__all__ = ["AwsKeys", "BearerToken", "auth_headers", "sigv4_headers"]
