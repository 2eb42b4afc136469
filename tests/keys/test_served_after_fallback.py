"""What served a call reaches the gateway's readers after a fallback — its response headers and the
key gate's spend rows — from the typed Served record the router completes (issue 12: no hidden-params
dict on the gateway's path). Whole gateway, virtual keys, the OpenAI simulator failing so that its
fallback group on the Anthropic simulator answers, whole and streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]


@pytest.fixture
def gateway(
    storage: Storage,
    database_url: str,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[GatewayThread]:
    document = {
        "model_list": [
            {
                "model_name": "primary",
                "model_info": {"id": "primary-1"},
                "litellm_params": {"model": "openai/gpt-4o-mini", **openai_sim.sdk_kwargs()},
            },
            {
                "model_name": "backup",
                "model_info": {"id": "backup-1"},
                "litellm_params": {
                    "model": "anthropic/claude-haiku-4-5",
                    **anthropic_sim.sdk_kwargs(),
                },
            },
        ],
        "router_settings": {"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]},
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


def _served_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("x-llmrelay-")}


async def test_fallback_reaches_headers_and_spend_rows(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    openai_sim.faults.set(status=500)
    auth = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=auth, timeout=30) as client:
        whole = await client.post("/v1/chat/completions", json={"model": "primary", "messages": HELLO})
        assert whole.status_code == 200, whole.text
        async with client.stream(
            "POST", "/v1/chat/completions", json={"model": "primary", "messages": HELLO, "stream": True}
        ) as streamed:
            assert streamed.status_code == 200
            body = b"".join([part async for part in streamed.aiter_bytes()])
            stream_headers = streamed.headers
    assert body.rstrip().endswith(b"data: [DONE]")
    served = {
        "x-llmrelay-provider": "anthropic",
        "x-llmrelay-model": "anthropic/claude-haiku-4-5",
        "x-llmrelay-deployment": "backup-1",
        "x-llmrelay-model-group": "backup",
        "x-llmrelay-fallback": "primary",
        "x-llmrelay-attempts": "2",  # the failed one on "primary", then the fallback's
    }
    whole_headers = _served_headers(whole.headers)
    cost = float(whole_headers.pop("x-llmrelay-cost"))
    assert whole_headers == served and cost > 0
    assert _served_headers(stream_headers) == served  # a stream's cost is known only at its end
    assert openai_sim.requests.count("/v1/chat/completions") == 2
    assert anthropic_sim.requests.count("/v1/messages") == 2

    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    logs = await storage.spend.logs(SpendLogFilter())
    assert len(logs) == 2
    for log in logs:
        assert (log.provider, log.deployment, log.model_group) == ("anthropic", "backup-1", "backup")
        assert log.cost_micros > 0 and log.key_hash
    assert {log.cost_micros for log in logs} >= {round(cost * 1_000_000)}
