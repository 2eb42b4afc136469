"""Keys of a named AWS profile (`aws_profile_name`), read from the shared AWS files by botocore.

Reading them builds a botocore session and reads files: blocking work that must not run on the
event loop, and that is the same for every call of a deployment. So a profile deployment's adapter
returns a `ProfileGrant` (a LocalGrant, llmrelay.providers.grants) from `token_grant`: the engine runs
`load` in a worker thread, keeps the keys per profile and region, shares one load among concurrent
calls, and hands the keys to `BedrockProvider.authorize`, which signs each request.

Shared-file keys do not expire; they are read again every RELOAD_SECONDS, so keys rotated in the
files are picked up without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmrelay.providers.bedrock.optional import missing_botocore
from llmrelay.providers.grants import AccessToken, SigningKeys
from llmrelay.types.errors import AuthenticationError

PROVIDER = "bedrock"
RELOAD_SECONDS = 900.0
# botocore credential providers that call out (STS, SSO, instance/container metadata) or run a
# process: a profile here yields the static keys of the shared AWS files only
_CALLING_PROVIDERS = (
    "env", "assume-role", "assume-role-with-web-identity", "sso", "login", "custom-process",
    "container-role", "iam-role",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProfileGrant:
    """The keys of `profile`, to sign requests to `region` with; `model` names the call in errors."""

    profile: str
    region: str
    model: str = ""

    @property
    def cache_key(self) -> str:
        # a profile's name and a region are no secrets
        return f"aws-profile:{self.profile}@{self.region}"

    def load(self) -> AccessToken:
        keys = profile_keys(self.profile, self.model)
        return AccessToken(
            token=SigningKeys(keys.access_key, keys.secret_key, keys.session_token, region=self.region),
            expires_in=RELOAD_SECONDS,
        )


def profile_keys(profile: str, model: str) -> SigningKeys:
    """The static keys of a named profile in the shared AWS files (~/.aws/credentials, ~/.aws/config),
    read by botocore. Blocking: files are read."""
    try:
        from botocore.exceptions import BotoCoreError
        from botocore.session import Session
    except ImportError as exc:
        raise missing_botocore(exc) from exc

    try:
        resolver = Session(profile=profile).get_component("credential_provider")
        for method in _CALLING_PROVIDERS:
            resolver.remove(method)
        found = resolver.load_credentials()
    except BotoCoreError as exc:
        raise AuthenticationError(f"AWS profile {profile!r}: {exc}", provider=PROVIDER, model=model) from exc
    if found is None:
        raise AuthenticationError(
            f"AWS profile {profile!r} has no access keys in the shared AWS files",
            provider=PROVIDER,
            model=model,
        )
    frozen = found.get_frozen_credentials()
    return SigningKeys(frozen.access_key, frozen.secret_key, frozen.token)
