"""Bedrock with `aws_profile_name`: the profile's keys are read from the shared AWS files once for
many calls (one botocore session, not one per request), in a worker thread (never on the event
loop), read again after a while, and every request is still signed with them."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore import session as botocore_session
from helpers import MODEL, chat, dep

from llmrelay.client import Client
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.aws.chain import RELOAD_SECONDS, AwsChain
from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.providers.grants import SigningKeys
from llmrelay.testing import RunningSimulator
from llmrelay.testing.aws_identity import fetch_credential as fetch
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from llmrelay.types import errors
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(autouse=True)
def shared_files(no_aws_credentials: Path) -> Path:
    credentials = no_aws_credentials / "credentials"
    credentials.write_text(
        f"[team]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
        "[empty]\nregion = us-east-1\n"
    )
    return credentials


class Sessions:
    """Counts the botocore sessions built, and the threads they were built on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.threads: list[threading.Thread] = []
        real = botocore_session.Session
        sessions = self

        class Counted(real):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                sessions.threads.append(threading.current_thread())
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(botocore_session, "Session", Counted)


def profile_options(**extra: Any) -> dict[str, Any]:
    return {"aws_profile_name": "team", "aws_region_name": REGION, **extra}


async def test_a_profile_request_is_prepared_unsigned_and_signed_with_the_loaded_keys() -> None:
    adapter = BedrockProvider()
    deployment = dep(options=profile_options(), extra_headers={"authorization": "Bearer forged"})
    http = adapter.prepare_chat(chat(), deployment)
    assert http.headers["authorization"] == "Bearer forged"  # not signed yet: authorize replaces it
    grant = adapter.token_grant(deployment)
    assert isinstance(grant, AwsChain) and grant.cache_key.startswith("aws-chain:")
    assert grant.profile == "team" and "team" not in grant.cache_key
    keys = await fetch(grant)
    assert isinstance(keys, SigningKeys) and keys.region == REGION
    assert SECRET_ACCESS_KEY not in repr(keys) and SECRET_ACCESS_KEY not in repr(grant)
    signed = adapter.authorize(http, keys)
    assert f"Credential={ACCESS_KEY_ID}/" in signed.headers["authorization"]
    assert signed.headers["authorization"].startswith("AWS4-HMAC-SHA256 ") and "x-amz-date" in signed.headers


def test_other_credentials_need_no_grant() -> None:
    adapter = BedrockProvider()
    assert adapter.token_grant(dep()) is None
    assert adapter.token_grant(dep(api_key="bedrock-api-key", options=profile_options())) is None


async def test_unknown_or_keyless_profiles_are_authentication_errors() -> None:
    for profile, message in (("missing", "could not be found"), ("empty", "no access keys")):
        grant = BedrockProvider().token_grant(dep(options=profile_options(aws_profile_name=profile)))
        assert grant is not None
        with pytest.raises(errors.AuthenticationError, match=message):
            await fetch(grant)


async def test_many_requests_read_the_profile_once_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, bedrock_sim: RunningSimulator
) -> None:
    sessions = Sessions(monkeypatch)
    loop_thread = threading.current_thread()
    options = profile_options(api_base=bedrock_sim.api_base, max_retries=0)
    async with Client() as client:
        # concurrent first calls share one load; later ones (a stream too) use the kept keys
        answers = await asyncio.gather(
            *(client.acompletion(f"bedrock/{MODEL}", USER, **options) for _ in range(4))
        )
        answers.append(await client.acompletion(f"bedrock/{MODEL}", USER, **options))
        stream = await client.acompletion(f"bedrock/{MODEL}", USER, stream=True, **options)
        chunks = [chunk async for chunk in stream]
    assert all(isinstance(a, ChatResponse) and a.choices[0].message.content for a in answers)
    assert chunks
    assert len(sessions.threads) == 1
    assert sessions.threads[0] is not loop_thread


async def test_the_keys_are_read_again_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = Sessions(monkeypatch)
    now = [1000.0]

    async def no_http(request: HttpRequest, timeout: float) -> HttpResponse:
        raise AssertionError("a profile grant sends nothing")

    cache = TokenCache(no_http, clock=lambda: now[0])
    grant = BedrockProvider().token_grant(dep(options=profile_options()))
    assert grant is not None
    first, fresh = await cache.token(grant)
    assert fresh and isinstance(first, SigningKeys)
    assert (await cache.token(grant)) == (first, False)
    assert len(sessions.threads) == 1
    now[0] += RELOAD_SECONDS
    assert (await cache.token(grant)) == (first, True)
    assert len(sessions.threads) == 2
