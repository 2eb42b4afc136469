"""Region routing of end users (LiteLLM's `allowed_model_region`, `default_model`) on the whole
gateway: three OpenAI simulators stand for an EU, a US and an unplaced deployment, so each test can
see which one a call reached — first tries, retries, fallbacks and streams alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin

from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]


@dataclass
class Sims:
    eu: RunningSimulator
    us: RunningSimulator
    nowhere: RunningSimulator  # a deployment with no known region

    def counts(self) -> tuple[int, int, int]:
        return self.eu.requests.count(), self.us.requests.count(), self.nowhere.requests.count()


def _deployment(group: str, sim: RunningSimulator, region: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"model": "openai/gpt-4o-mini", "api_base": sim.api_base, "api_key": sim.api_key}
    if region is not None:
        params["region_name"] = region
    return {"model_name": group, "litellm_params": params}


@pytest.fixture
def sims(openai_sim: RunningSimulator, start_sim: Callable[..., RunningSimulator]) -> Sims:
    return Sims(eu=start_sim("openai"), us=openai_sim, nowhere=start_sim("openai"))


@pytest.fixture
def gateway(storage: Storage, database_url: str, sims: Sims, tmp_path: Path) -> Iterator[GatewayThread]:
    document = {
        "model_list": [
            # "chat" has one deployment in each region and one nowhere
            _deployment("chat", sims.eu, "eu"),
            _deployment("chat", sims.us, "us"),
            _deployment("chat", sims.nowhere, None),
            # "us-only" falls back to "chat"; "elsewhere" has nothing in the EU and no fallback
            _deployment("us-only", sims.us, "us"),
            _deployment("elsewhere", sims.us, "us"),
            _deployment("elsewhere", sims.nowhere, None),
        ],
        "router_settings": {"num_retries": 2, "fallbacks": [{"us-only": ["chat"]}]},
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": database_url,
            "spend_spool_dir": str(tmp_path / "spool"),
        },
    }
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def chat(gw: GatewayThread, user: str | None, model: str = "chat", *, stream: bool = False) -> Any:
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=MASTER_KEY, max_retries=0) as c:
        extra = {"user": user} if user is not None else {}
        if not stream:
            return await c.chat.completions.create(model=model, messages=HELLO, **extra)  # type: ignore[arg-type]
        chunks = await c.chat.completions.create(model=model, messages=HELLO, stream=True, **extra)  # type: ignore[arg-type, call-overload]
        return [chunk async for chunk in chunks]


async def test_an_eu_end_user_reaches_only_the_eu_deployment(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "anna", "allowed_model_region": "eu"})
    for _ in range(6):
        answer = await chat(gateway, "anna")
        assert answer.choices[0].message.content
    await chat(gateway, "anna", stream=True)
    assert sims.counts() == (7, 0, 0)


async def test_embeddings_and_text_completions_are_kept_to_the_region(
    gateway: GatewayThread, sims: Sims
) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "ada", "allowed_model_region": "eu"})
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=MASTER_KEY, max_retries=0) as c:
        for _ in range(3):
            await c.embeddings.create(model="chat", input=["x"], user="ada")
            await c.completions.create(model="chat", prompt="x", user="ada")
        stream = await c.completions.create(model="chat", prompt="x", user="ada", stream=True)
        async for _ in stream:
            pass
        with pytest.raises(openai.BadRequestError, match="region 'eu'"):
            await c.embeddings.create(model="elsewhere", input=["x"], user="ada")
    assert sims.counts() == (7, 0, 0)


async def test_a_us_end_user_reaches_only_the_us_deployment(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/customer/new", {"user_id": "ben", "allowed_model_region": "us"})
    for _ in range(6):
        await chat(gateway, "ben")
    assert sims.counts() == (0, 6, 0)


async def test_users_without_a_region_are_balanced_as_before(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "cleo"})
    for user in ["cleo", "nobody-known", None] * 10:
        await chat(gateway, user)
    eu, us, nowhere = sims.counts()
    assert eu + us + nowhere == 30 and eu and us and nowhere  # every deployment took some


async def test_retries_stay_in_the_region(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "dora", "allowed_model_region": "eu"})
    sims.eu.faults.fail_next(2, 500)
    answer = await chat(gateway, "dora")  # two failures, then the third try (second retry) answers
    assert answer.choices[0].message.content
    assert sims.counts() == (3, 0, 0)

    # more failures than retries: the call fails (a 500, or a 503 once the EU deployment cools
    # down after its third failure in a row), and never tries another region
    sims.eu.faults.fail_next(3, 500)
    with pytest.raises(openai.InternalServerError):
        await chat(gateway, "dora")
    eu, us, nowhere = sims.counts()
    assert eu > 3 and (us, nowhere) == (0, 0)


async def test_a_fallback_is_kept_to_the_region(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "emil", "allowed_model_region": "eu"})
    # "us-only" has nothing in the EU: its fallback "chat" serves, from its EU deployment
    for _ in range(4):
        await chat(gateway, "emil", "us-only")
    assert sims.counts() == (4, 0, 0)


async def test_no_deployment_in_the_region_is_a_clear_400(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "fay", "allowed_model_region": "eu"})
    with pytest.raises(openai.BadRequestError) as refused:
        await chat(gateway, "fay", "elsewhere")
    error = refused.value
    assert error.status_code == 400
    assert "'elsewhere'" in error.message and "region 'eu'" in error.message and "fay" in error.message
    assert error.code == "no_deployment_in_allowed_region"
    with pytest.raises(openai.BadRequestError):
        await chat(gateway, "fay", "elsewhere", stream=True)
    assert sims.counts() == (0, 0, 0)
    await chat(gateway, "someone-else", "elsewhere")  # others still reach it
    assert sum(sims.counts()) == 1


async def test_default_model_serves_when_the_asked_model_has_no_deployment_in_the_region(
    gateway: GatewayThread, sims: Sims
) -> None:
    await admin(
        gateway, "/end_user/new", {"user_id": "gus", "allowed_model_region": "eu", "default_model": "chat"}
    )
    answer = await chat(gateway, "gus", "elsewhere")
    assert answer.choices[0].message.content
    await chat(gateway, "gus", "chat")  # a model that has an EU deployment is used as asked
    assert sims.counts() == (2, 0, 0)


async def test_default_model_alone_changes_nothing(gateway: GatewayThread, sims: Sims) -> None:
    # LiteLLM's default model is the answer to "no equivalent model in the allowed region": without
    # a region every model is allowed, so it never applies
    await admin(gateway, "/end_user/new", {"user_id": "hana", "default_model": "chat"})
    for _ in range(4):
        await chat(gateway, "hana", "elsewhere")
    eu, us, nowhere = sims.counts()
    assert eu == 0 and us + nowhere == 4


async def test_a_changed_region_applies_to_the_next_call(gateway: GatewayThread, sims: Sims) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "ivo", "allowed_model_region": "eu"})
    await chat(gateway, "ivo")
    await admin(gateway, "/end_user/update", {"user_id": "ivo", "allowed_model_region": "us"})
    await chat(gateway, "ivo")
    assert sims.counts() == (1, 1, 0)
    await admin(gateway, "/end_user/update", {"user_id": "ivo", "allowed_model_region": None})
    with_region_cleared = await admin(gateway, "/end_user/info?end_user_id=ivo")
    assert with_region_cleared["allowed_model_region"] is None
    await chat(gateway, "ivo", "elsewhere")  # no region any more: "elsewhere" is open to them
