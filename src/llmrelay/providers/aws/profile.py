"""Static keys of a profile in the shared AWS files (~/.aws/credentials, ~/.aws/config), read by
botocore. Blocking (files are read): a flow runs it as a `Blocking` step, in a worker thread.

Only the files' static keys are read: botocore's providers that call out (STS, SSO, instance or
container metadata) or run a process are removed, as the chain (chain.py) runs those sources itself.
"""

from __future__ import annotations

from llmrelay.providers.aws.optional import missing_botocore
from llmrelay.providers.grants import SigningKeys
from llmrelay.types.errors import AuthenticationError

_CALLING_PROVIDERS = (
    "env", "assume-role", "assume-role-with-web-identity", "sso", "login", "custom-process",
    "container-role", "iam-role",
)  # fmt: skip


def profile_keys(profile: str | None, region: str, *, provider: str) -> SigningKeys | None:
    """The keys of `profile` (None: AWS_PROFILE, else `default`), or None when the files hold none.
    A named profile that does not exist raises AuthenticationError."""
    try:
        from botocore.exceptions import BotoCoreError
        from botocore.session import Session
    except ImportError as exc:
        raise missing_botocore(exc, provider) from exc

    try:
        resolver = Session(profile=profile).get_component("credential_provider")
        for method in _CALLING_PROVIDERS:
            resolver.remove(method)
        found = resolver.load_credentials()
    except BotoCoreError as exc:
        raise AuthenticationError(f"AWS profile {profile!r}: {exc}", provider=provider) from exc
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    return SigningKeys(frozen.access_key, frozen.secret_key, frozen.token, region=region)
