"""The AWS credentials chain: which credentials a deployment signs with, and the flow that gets them.

First what the deployment names (LiteLLM's order): a web identity token and a role
(`aws_web_identity_token` + `aws_role_name`: STS AssumeRoleWithWebIdentity); a role
(`aws_role_name`, with `aws_session_name`, `aws_external_id`: STS AssumeRole, signed by the
deployment's keys or else by the default chain's credentials); a profile (`aws_profile_name`: its
static keys in the shared AWS files); keys (`aws_access_key_id`, `aws_secret_access_key`,
`aws_session_token`). Else botocore's default chain, in its documented order: environment keys
(AWS_ACCESS_KEY_ID...), web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, as EKS IRSA sets
them), the shared AWS files (AWS_PROFILE or `default`), ECS/EKS container credentials
(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN or
_TOKEN_FILE), EC2 instance metadata (IMDSv2; AWS_EC2_METADATA_DISABLED=true turns it off).

Keys given outright (the deployment's or the environment's) sign in `prepare_*` and need no flow.
Anything else is an `AwsChain`, a CredentialFlow (llmrelay.providers.grants): the engine runs its
steps — files read in a worker thread, HTTP over its transport — caches the credentials per
`cache_key` and fetches new ones once, for all calls, before they expire. Static keys read from
the shared files are read again every RELOAD_SECONDS.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from llmrelay.providers.aws import answers, requests
from llmrelay.providers.aws import params as p
from llmrelay.providers.aws.environment import AwsEnvironment, read_environment
from llmrelay.providers.aws.profile import profile_keys
from llmrelay.providers.flows import Steps, read_small_file
from llmrelay.providers.flows import fetch as _fetch
from llmrelay.providers.grants import AccessToken, Blocking, FlowSteps, SigningKeys
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import APIConnectionError, AuthenticationError, BadRequestError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

RELOAD_SECONDS = 900.0
STS_TIMEOUT = 10.0
_STS_HOST = re.compile(r"^https://sts(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


def _option(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    return str(value) if value else None


@dataclass(frozen=True, slots=True)
class AwsChain:
    """How to get a deployment's credentials, to sign requests to `region` with. Secrets are kept
    out of the repr and hashed into the cache key."""

    provider: str
    region: str
    environment: AwsEnvironment
    role_arn: str | None = None
    session_name: str | None = None
    external_id: str | None = None
    sts_endpoint: str | None = None
    web_identity_token: str | None = field(default=None, repr=False)
    source_keys: SigningKeys | None = field(default=None, repr=False)
    profile: str | None = None

    @property
    def cache_key(self) -> str:
        # every field, secrets included (astuple does not go through the hiding reprs): only the digest
        # is kept
        material = repr(dataclasses.astuple(self))
        return "aws-chain:" + hashlib.sha256(material.encode()).hexdigest()[:32]

    # ---- the flow
    def flow(self, now: float) -> FlowSteps:
        if self.role_arn and self.web_identity_token:
            return (
                yield from self._web_identity(self.role_arn, self.web_identity_token, self.session_name, now)
            )
        if self.role_arn:
            env = self.environment
            if env.web_identity_token_file and env.role_arn == self.role_arn and self.source_keys is None:
                # already running as this role (EKS IRSA): its web identity credentials are the role's
                return (yield from self._default_chain(now))
            source = self.source_keys
            if source is None and self.profile:
                source = yield from self._profile(self.profile)
            if source is None:
                found = yield from self._default_chain(now)
                source = found.token if isinstance(found.token, SigningKeys) else None
            if source is None:
                raise self._no_credentials()
            return (yield from self._assume_role(source, now))
        if self.profile:
            keys = yield from self._profile(self.profile)
            return AccessToken(token=keys, expires_in=RELOAD_SECONDS)
        return (yield from self._default_chain(now))

    def _profile(self, profile: str) -> Steps[SigningKeys]:
        keys = yield Blocking(partial(profile_keys, profile, self.region, provider=self.provider))
        if not isinstance(keys, SigningKeys):
            raise AuthenticationError(
                f"AWS profile {profile!r} has no access keys in the shared AWS files", provider=self.provider
            )
        return keys

    def _default_chain(self, now: float) -> FlowSteps:
        env = self.environment
        if env.keys is not None:
            return AccessToken(token=env.keys)
        if env.web_identity_token_file and env.role_arn:
            token = yield from self._read_file(env.web_identity_token_file, "AWS_WEB_IDENTITY_TOKEN_FILE")
            return (yield from self._web_identity(env.role_arn, token, env.role_session_name, now))
        keys = yield Blocking(partial(profile_keys, None, self.region, provider=self.provider))
        if isinstance(keys, SigningKeys):
            return AccessToken(token=keys, expires_in=RELOAD_SECONDS)
        if env.in_container:
            return (yield from self._container(now))
        if not env.imds_disabled:
            try:
                return (yield from self._instance_metadata(now))
            except (APIConnectionError, Timeout):
                pass  # not on EC2 (or its metadata is off): no source is left, said below
        raise self._no_credentials()

    def _no_credentials(self) -> AuthenticationError:
        return AuthenticationError(
            f"no AWS credentials for {self.provider}: tried the deployment's aws_access_key_id / "
            "aws_secret_access_key, aws_role_name and aws_profile_name, then AWS_ACCESS_KEY_ID, "
            "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, the shared AWS files, container credentials "
            "(AWS_CONTAINER_CREDENTIALS_*) and EC2 instance metadata",
            provider=self.provider,
        )

    # ---- the sources
    def _sts(self) -> tuple[str, str]:
        """(STS endpoint, the region its signatures are scoped to)."""
        endpoint = (
            self.sts_endpoint or self.environment.sts_endpoint or f"https://sts.{self.region}.amazonaws.com"
        )
        if endpoint.rstrip("/") == "https://sts.amazonaws.com":
            return endpoint, "us-east-1"  # the global endpoint signs in us-east-1
        match = _STS_HOST.match(endpoint)
        return endpoint, match.group(1) if match else self.region

    def _session(self, name: str | None, now: float) -> str:
        return name or f"llmrelay-{int(now)}"

    def _assume_role(self, source: SigningKeys, now: float) -> FlowSteps:
        assert self.role_arn is not None
        endpoint, sts_region = self._sts()
        session = self._session(self.session_name, now)
        request = requests.assume_role(
            endpoint, sts_region, source, self.role_arn, session, self.external_id, provider=self.provider
        )
        response = yield from _fetch(request, STS_TIMEOUT)
        return answers.sts_credentials(
            response.status, response.body, "AssumeRole", now, self.region, provider=self.provider
        )

    def _web_identity(self, role_arn: str, token: str, session: str | None, now: float) -> FlowSteps:
        endpoint, _ = self._sts()
        request = requests.assume_role_with_web_identity(
            endpoint, role_arn, self._session(session, now), token
        )
        response = yield from _fetch(request, STS_TIMEOUT)
        return answers.sts_credentials(
            response.status,
            response.body,
            "AssumeRoleWithWebIdentity",
            now,
            self.region,
            provider=self.provider,
        )

    def _container(self, now: float) -> FlowSteps:
        env = self.environment
        token = env.container_token
        if not token and env.container_token_file:
            token = yield from self._read_file(
                env.container_token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
            )
        request = requests.container(
            env.container_relative_uri, env.container_full_uri, token, provider=self.provider
        )
        source = "the container credentials endpoint"
        response = yield from self._metadata_fetch(request)
        if response.status != 200:
            raise AuthenticationError(f"{source} answered HTTP {response.status}", provider=self.provider)
        return answers.json_credentials(
            response.body, now, self.region, provider=self.provider, source=source
        )

    def _instance_metadata(self, now: float) -> FlowSteps:
        base = self.environment.imds_endpoint
        source = "EC2 instance metadata"
        answer = yield from self._metadata_fetch(requests.imds_token(base))
        if answer.status != 200 or not answer.body:
            # IMDSv1 (no session token) is not used: a metadata service that refuses IMDSv2 is refused
            raise AuthenticationError(
                f"{source} refused an IMDSv2 session token (HTTP {answer.status}); IMDSv1 is not used",
                provider=self.provider,
            )
        token = answer.body.decode("utf-8", "replace").strip()
        answer = yield from self._metadata_fetch(requests.imds_role(base, token))
        role = answer.body.decode("utf-8", "replace").strip().splitlines()[0] if answer.body.strip() else ""
        if answer.status != 200 or not _ROLE_NAME.match(role):
            raise AuthenticationError(
                f"{source} names no instance role (HTTP {answer.status})", provider=self.provider
            )
        answer = yield from self._metadata_fetch(requests.imds_credentials(base, token, role))
        if answer.status != 200:
            raise AuthenticationError(f"{source} answered HTTP {answer.status}", provider=self.provider)
        return answers.json_credentials(answer.body, now, self.region, provider=self.provider, source=source)

    def _metadata_fetch(self, request: HttpRequest) -> Steps[HttpResponse]:
        """A metadata endpoint's answer, tried as many times as AWS_METADATA_SERVICE_NUM_ATTEMPTS says."""
        env = self.environment
        for attempt in range(env.metadata_attempts):
            try:
                return (yield from _fetch(request, env.metadata_timeout))
            except (APIConnectionError, Timeout):
                if attempt + 1 == env.metadata_attempts:
                    raise
        raise AssertionError("unreachable: metadata_attempts is at least 1")

    def _read_file(self, path: str, setting: str) -> Steps[str]:
        try:
            read = yield Blocking(partial(read_small_file, path))
        except (OSError, ValueError) as exc:
            raise AuthenticationError(
                f"the file {setting} names was not read: {exc}", provider=self.provider
            ) from exc
        text = read.decode("utf-8", "replace").strip() if isinstance(read, bytes) else ""
        if not text:
            raise AuthenticationError(f"the file {setting} names is empty", provider=self.provider)
        return text


def resolve(deployment: Deployment, provider: str, region: str) -> SigningKeys | AwsChain:
    """Keys that sign as they are, or the chain that gets them (read on the event loop: the
    deployment and the environment only)."""
    options = deployment.options or {}
    access, secret = _option(options, p.ACCESS_KEY_PARAM), _option(options, p.SECRET_KEY_PARAM)
    if bool(access) != bool(secret):
        raise AuthenticationError(
            f"{provider} needs both aws_access_key_id and aws_secret_access_key", provider=provider,
            model=deployment.model,
        )  # fmt: skip
    keys = (
        SigningKeys(access, secret, _option(options, p.SESSION_TOKEN_PARAM), region=region)
        if access and secret
        else None
    )
    role = _option(options, p.ROLE_PARAM)
    token = _option(options, p.WEB_IDENTITY_TOKEN_PARAM)
    if token and not role:
        raise AuthenticationError(
            "aws_web_identity_token needs aws_role_name: the role the token is exchanged for",
            provider=provider, model=deployment.model,
        )  # fmt: skip
    profile = _option(options, p.PROFILE_PARAM)
    for name in (p.SESSION_NAME_PARAM, p.EXTERNAL_ID_PARAM):
        if options.get(name) and not role:
            # they name an AssumeRole's session and condition: without a role nothing would use them
            raise BadRequestError(
                f"{name} is a setting of assuming a role: it needs aws_role_name",
                provider=provider, model=deployment.model, param=name,
            )  # fmt: skip
    if keys is not None and not role:
        return keys
    environment = read_environment(region)
    if not (role or profile) and environment.keys is not None:
        return environment.keys
    return AwsChain(
        provider=provider,
        region=region,
        environment=environment,
        role_arn=role,
        session_name=_option(options, p.SESSION_NAME_PARAM),
        external_id=_option(options, p.EXTERNAL_ID_PARAM),
        sts_endpoint=_option(options, p.STS_ENDPOINT_PARAM),
        web_identity_token=token,
        source_keys=keys,
        # with a role, a profile's keys sign the AssumeRole (unless keys are given outright)
        profile=profile,
    )
