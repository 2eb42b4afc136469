"""A gateway without a database keeps no responses, and says so: `store: true` and
`previous_response_id` are refused with a 400 naming the field (not accepted and forgotten), a
request that says nothing about `store` is answered with `store: false`, and GET/DELETE
/v1/responses/{id} answer 404 with the reason."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread


@pytest.fixture
def gateway(openai_sim: RunningSimulator) -> Iterator[GatewayThread]:
    document = {
        "model_list": [
            {
                "model_name": "gpt-4o-mini",
                "litellm_params": {"model": "openai/gpt-4o-mini", **openai_sim.sdk_kwargs()},
            }
        ]
    }
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


async def test_nothing_is_stored_and_that_is_said(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key="none", max_retries=0) as c:
        made = await c.responses.create(model="gpt-4o-mini", input="hi")
        assert made.store is False and made.output_text
        calls = len(openai_sim.requests)
        for field, extra in (
            ("store", {"store": True}),
            ("previous_response_id", {"previous_response_id": made.id}),
        ):
            with pytest.raises(openai.BadRequestError) as refused:
                await c.responses.create(model="gpt-4o-mini", input="hi", **extra)  # type: ignore[arg-type]
            assert refused.value.body["param"] == field  # type: ignore[index]
            assert "keeps no responses" in refused.value.message
        assert len(openai_sim.requests) == calls
        for attempt in (
            c.responses.retrieve(made.id),
            c.responses.delete(made.id),
            c.responses.input_items.list(made.id),
        ):
            with pytest.raises(openai.NotFoundError) as missing:
                await attempt
            assert "keeps no responses" in missing.value.message


async def test_the_object_routes_refuse_what_they_do_not_take(gateway: GatewayThread) -> None:
    import aiohttp

    async with aiohttp.ClientSession(gateway.base_url) as http:
        for path, status in (
            ("/v1/responses/resp_1/other", 404),
            ("/responses/" + "x" * 65, 404),
            ("/v1/responses/resp_1?stream=true", 400),
        ):
            async with http.get(path) as reply:
                assert reply.status == status, path
                body = await reply.json()
                assert body["error"]["message"]
        async with http.post("/v1/responses/resp_1") as reply:
            assert reply.status == 405
            assert reply.headers["allow"] == "DELETE, GET"
