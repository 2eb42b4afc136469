"""`router_settings.model_group_alias` through the whole gateway (config document → build_app → Granian
→ the real Router → the OpenAI simulator), called with the official `openai` client: an alias is
served by its group, listed by /v1/models unless hidden, and a virtual key's `models` allowlist
applies to the name the client asked for."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from harness import MASTER_KEY, running

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]


def document(sim: RunningSimulator, **general: Any) -> dict[str, Any]:
    params = {"api_base": sim.api_base, "api_key": sim.api_key}
    return {
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", **params}},
            {"model_name": "embed", "litellm_params": {"model": "openai/text-embedding-3-small", **params}},
        ],
        "router_settings": {
            "model_group_alias": {
                "gpt-4": "gpt-4o",
                "internal": {"model": "gpt-4o", "hidden": True},
                "ada": "embed",
            }
        },
        "general_settings": {"master_key": MASTER_KEY, **general},
    }


def client(url: str, key: str = MASTER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)


def test_aliases_are_served_and_listed(openai_sim: RunningSimulator) -> None:
    with running(build_app(parse_config(document(openai_sim), source="test"))) as url:
        oai = client(url)
        raw = oai.chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
        assert raw.parse().choices[0].message.content
        assert raw.headers["x-llmrelay-model-group"] == "gpt-4o"
        assert openai_sim.requests.last.body["model"] == "gpt-4o"

        stream = oai.chat.completions.create(model="gpt-4", messages=HELLO, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

        hidden = oai.chat.completions.with_raw_response.create(model="internal", messages=HELLO)
        assert hidden.headers["x-llmrelay-model-group"] == "gpt-4o"

        embedded = oai.embeddings.create(model="ada", input="hello")
        assert embedded.data[0].embedding
        assert openai_sim.requests.last.body["model"] == "text-embedding-3-small"

        assert [m.id for m in oai.models.list()] == ["gpt-4o", "embed", "gpt-4", "ada"]
        assert oai.models.retrieve("gpt-4").id == "gpt-4"
        with pytest.raises(openai.NotFoundError):
            oai.models.retrieve("internal")


class _ServicesFirst:
    """The app, its services (virtual keys) started on the serving loop before it answers: the
    embedded server leaves that to the caller."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = threading.Event()
        self.failures: list[BaseException] = []
        self._task: asyncio.Task[None] | None = None

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._task = loop.create_task(self._start())

    async def _start(self) -> None:
        try:
            await self.app.astart()
        except BaseException as exc:
            self.failures.append(exc)
            raise
        finally:
            self.started.set()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        await self.app.__rsgi__(scope, proto)

    async def aclose(self) -> None:
        await self.app.aclose()


@contextlib.contextmanager
def keyed_gateway(doc: dict[str, Any]) -> Iterator[str]:
    app = _ServicesFirst(build_app(parse_config(doc, source="test")))
    with running(app) as url:
        assert app.started.wait(20), "the gateway's services did not start"
        assert not app.failures, app.failures
        yield url


def new_key(url: str, **settings: Any) -> str:
    admin = openai.OpenAI(base_url=url, api_key=MASTER_KEY, max_retries=0)
    # cast_to=object: the decoded JSON as is (openai 2.x cannot construct a bare `dict`)
    answer: dict[str, Any] = admin.post("/key/generate", body=settings, cast_to=object)
    key: str = answer["key"]
    return key


def test_a_key_allowed_a_group_may_call_its_aliases(
    openai_sim: RunningSimulator, storage: Storage, database_url: str, tmp_path: Path
) -> None:
    doc = document(openai_sim, database_url=database_url, spend_spool_dir=str(tmp_path / "spool"))
    with keyed_gateway(doc) as url:
        oai = client(url, new_key(url, models=["gpt-4o"]))
        # as in LiteLLM: the alias stands for a group the key may use
        assert oai.chat.completions.create(model="gpt-4", messages=HELLO).choices[0].message.content
        assert "gpt-4" in [m.id for m in oai.models.list()]
        assert oai.chat.completions.create(model="gpt-4o", messages=HELLO).choices[0].message.content


def test_a_key_allowlist_applies_to_the_requested_name(
    openai_sim: RunningSimulator, storage: Storage, database_url: str, tmp_path: Path
) -> None:
    doc = document(openai_sim, database_url=database_url, spend_spool_dir=str(tmp_path / "spool"))
    with keyed_gateway(doc) as url:
        oai = client(url, new_key(url, models=["gpt-4"]))
        assert oai.chat.completions.create(model="gpt-4", messages=HELLO).choices[0].message.content
        assert [m.id for m in oai.models.list()] == ["gpt-4"]
        # the alias's group, asked for by its own name, is not on the key's list
        with pytest.raises(openai.AuthenticationError) as refused:
            oai.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
        assert len(openai_sim.requests) == 1  # the refused call never reached the upstream
