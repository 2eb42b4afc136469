"""The engine's follow-up seam: an adapter asks for further exchanges after a response (polls of a
job, a stream URL), and the engine sends them in order, within the call's timeout, raising the
adapter's error for a failed one. A scripted transport stands in for the network."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.calls.operation import CHAT
from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.providers.base import Codec, Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, RateLimitError, Timeout
from llmrelay.types.http import FollowUp, HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage

REQUEST = msgspec.convert({"model": "jobs/m", "messages": [{"role": "user", "content": "hi"}]}, ChatRequest)
DEPLOYMENT = Deployment(provider="jobs", model="m", api_key="k")


class JobProvider(Provider):
    """A job API: the first answer is a job id; `GET /jobs/{id}` until its state is `done`."""

    name = "jobs"
    default_api_base = "http://jobs.test"

    def __init__(self, *, delay: float = 0.0, stray_stream: bool = False) -> None:
        self.delay = delay
        self.stray_stream = stray_stream

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"chat": Codec(self.prepare_chat, self.parse_chat)}

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        return HttpRequest(url="http://jobs.test/jobs", headers={}, body=b"{}")

    def follow_up(self, response: HttpResponse, sent: HttpRequest, deployment: Deployment) -> FollowUp | None:
        job = msgspec.json.decode(response.body)
        if job["state"] == "done":
            return None
        poll = HttpRequest(url=f"http://jobs.test/jobs/{job['id']}", headers={}, method="GET",
                           stream=self.stray_stream)  # fmt: skip
        return FollowUp(request=poll, delay=self.delay)

    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        text = msgspec.json.decode(response.body)["text"]
        message = ResponseMessage(content=text)
        return ChatResponse(
            id="j", created=0, model="m", choices=[Choice(index=0, message=message, finish_reason="stop")]
        )


class ScriptedTransport:
    def __init__(self, answers: list[tuple[int, dict[str, Any]]], *, repeat_last: bool = False) -> None:
        self.answers = answers
        self.repeat_last = repeat_last
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        self.sent.append(request)
        index = min(len(self.sent) - 1, len(self.answers) - 1) if self.repeat_last else len(self.sent) - 1
        status, body = self.answers[index]
        return HttpResponse(status=status, body=msgspec.json.encode(body), headers={"retry-after": "4"})


def engine(transport: ScriptedTransport, adapter: Provider) -> Engine:
    registry = ProviderRegistry()
    registry.register(adapter)
    return Engine(transport, registry, Catalog())  # type: ignore[arg-type]


async def test_follow_ups_are_sent_until_the_answer() -> None:
    transport = ScriptedTransport(
        [(201, {"id": "7", "state": "queued"}), (200, {"id": "7", "state": "running"}),
         (200, {"id": "7", "state": "done", "text": "finished"})]
    )  # fmt: skip
    result = await engine(transport, JobProvider()).answer(
        CHAT, REQUEST, DEPLOYMENT, drop_params=False, timeout=5
    )
    assert result.choices[0].message.content == "finished"
    assert [(r.method, r.url) for r in transport.sent] == [
        ("POST", "http://jobs.test/jobs"), ("GET", "http://jobs.test/jobs/7"), ("GET", "http://jobs.test/jobs/7")
    ]  # fmt: skip


async def test_a_failed_follow_up_raises_the_adapters_error() -> None:
    transport = ScriptedTransport(
        [(201, {"id": "7", "state": "queued"}), (429, {"error": {"message": "slow down"}})]
    )
    with pytest.raises(RateLimitError, match="slow down") as info:
        await engine(transport, JobProvider()).answer(CHAT, REQUEST, DEPLOYMENT, drop_params=False, timeout=5)
    assert info.value.retry_after == 4 and info.value.provider == "jobs"


async def test_follow_ups_stop_at_the_call_timeout() -> None:
    transport = ScriptedTransport([(200, {"id": "7", "state": "running"})], repeat_last=True)
    with pytest.raises(Timeout):
        await engine(transport, JobProvider(delay=0.05)).answer(
            CHAT, REQUEST, DEPLOYMENT, drop_params=False, timeout=0.3
        )
    assert 3 <= len(transport.sent) <= 8


async def test_a_stream_follow_up_in_a_call_that_does_not_stream() -> None:
    transport = ScriptedTransport([(201, {"id": "7", "state": "queued"})])
    with pytest.raises(InternalServerError, match="does not stream"):
        await engine(transport, JobProvider(stray_stream=True)).answer(
            CHAT, REQUEST, DEPLOYMENT, drop_params=False, timeout=5
        )


async def test_a_stream_call_whose_exchanges_name_no_stream() -> None:
    transport = ScriptedTransport([(201, {"id": "7", "state": "done", "text": "x"})])
    stream_request = msgspec.structs.replace(REQUEST, stream=True)
    with pytest.raises(InternalServerError, match="without a stream"):
        await engine(transport, JobProvider()).open_stream(
            CHAT, stream_request, DEPLOYMENT, drop_params=False, timeout=5
        )
