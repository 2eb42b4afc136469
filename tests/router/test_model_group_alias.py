"""`model_group_alias`: a requested alias is served by its target group (chat, streams, embeddings,
text completions, the target's fallbacks), listed unless hidden, and every configuration mistake is
refused when the router is built."""

from __future__ import annotations

from typing import Any

import pytest
from router_upstream import Fault, Upstream

from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import hidden_params

MESSAGES = [{"role": "user", "content": "hi"}]


def dep(upstream: Upstream, group: str, name: str, **params: object) -> dict[str, object]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "sk-test", "api_base": upstream.base(name), **params}
    return {"model_name": group, "litellm_params": params, "model_info": {"id": name}}


class Recorder:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def on_success(self, record: Any) -> None:
        self.records.append(record)

    def on_failure(self, record: Any) -> None:
        self.records.append(record)

    def on_stream_complete(self, record: Any) -> None:
        self.records.append(record)


async def test_chat_for_an_alias_is_served_by_its_group(upstream: Upstream) -> None:
    recorder = Recorder()
    router = Router(model_list=[dep(upstream, "gpt-4o", "a")], model_group_alias={"gpt-4": "gpt-4o"},
                    callbacks=[recorder])  # fmt: skip
    try:
        response = await router.acompletion(model="gpt-4", messages=MESSAGES)
        assert response.choices[0].message.content == "hello from a"
        assert hidden_params(response)["model_group"] == "gpt-4o"
        assert hidden_params(response)["deployment_id"] == "a"
        await router.aflush()
        [record] = recorder.records
        assert (record.model, record.model_group) == ("gpt-4", "gpt-4o")
    finally:
        await router.aclose()


async def test_stream_for_an_alias_is_served_by_its_group(upstream: Upstream) -> None:
    recorder = Recorder()
    router = Router(model_list=[dep(upstream, "gpt-4o", "a")], model_group_alias={"gpt-4": "gpt-4o"},
                    callbacks=[recorder])  # fmt: skip
    try:
        stream = await router.acompletion(model="gpt-4", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text.strip() == "hello from a"
        assert stream.hidden_params["model_group"] == "gpt-4o"
        await router.aflush()
        [record] = recorder.records
        assert (record.model, record.model_group, record.stream) == ("gpt-4", "gpt-4o", True)
    finally:
        await router.aclose()


async def test_embedding_for_an_alias_is_served_by_its_group(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "embed", "e", model="openai/text-embedding-3-small")],
        model_group_alias={"text-embedding-ada-002": "embed"},
    )
    try:
        result = await router.aembedding(model="text-embedding-ada-002", input="hello")
        assert result.data[0].embedding == [0.1, 0.2]
        assert hidden_params(result)["model_group"] == "embed"
        assert upstream.bodies["e"][-1]["model"] == "text-embedding-3-small"
    finally:
        await router.aclose()


async def test_text_completion_for_an_alias_is_served_by_its_group(openai_sim: RunningSimulator) -> None:
    params = {"model": "openai/gpt-3.5-turbo-instruct", **openai_sim.sdk_kwargs()}
    router = Router(model_list=[{"model_name": "instruct", "litellm_params": params}],
                    model_group_alias={"davinci": "instruct"})  # fmt: skip
    try:
        result = await router.atext_completion(model="davinci", prompt="Name a river")
        assert result.choices[0].text
        assert hidden_params(result)["model_group"] == "instruct"
        assert openai_sim.requests.last.body["model"] == "gpt-3.5-turbo-instruct"
    finally:
        await router.aclose()


async def test_fallbacks_of_the_target_group_apply(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(500))
    router = Router(
        model_list=[dep(upstream, "gpt-4o", "a"), dep(upstream, "backup", "b")],
        model_group_alias={"gpt-4": "gpt-4o"},
        fallbacks=[{"gpt-4o": ["backup"]}],
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        response = await router.acompletion(model="gpt-4", messages=MESSAGES)
        assert response.choices[0].message.content == "hello from b"
        assert hidden_params(response)["fallback_from"] == "gpt-4o"
        assert hidden_params(response)["model_group"] == "backup"
        assert upstream.received["a"] == 1
    finally:
        await router.aclose()


async def test_a_hidden_alias_is_callable_but_not_listed(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "gpt-4o", "a")],
        model_group_alias={"gpt-4": "gpt-4o", "internal": {"model": "gpt-4o", "hidden": True},
                           "shown": {"model": "gpt-4o", "hidden": False}},
    )  # fmt: skip
    try:
        assert router.model_names() == ["gpt-4o", "gpt-4", "shown"]
        response = await router.acompletion(model="internal", messages=MESSAGES)
        assert hidden_params(response)["model_group"] == "gpt-4o"
        assert router.alias_target("internal") == "gpt-4o"
        assert router.alias_target("gpt-4o") is None
    finally:
        await router.aclose()


async def test_an_alias_names_its_groups_deployments(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "gpt-4o", "a"), dep(upstream, "gpt-4o", "b"), dep(upstream, "other", "c")],
        model_group_alias={"gpt-4": "gpt-4o"},
    )
    try:
        # as LiteLLM's get_model_list does: the alias's deployments are its group's
        assert [d["model_info"]["id"] for d in router.deployments("gpt-4")] == ["a", "b"]
        assert router.deployments("gpt-4") == router.deployments("gpt-4o")
    finally:
        await router.aclose()


async def test_an_alias_may_name_a_model_a_wildcard_group_serves(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "openai/*", "w", model="openai/*")],
        model_group_alias={"fast": "openai/gpt-4o-mini"},
    )
    try:
        response = await router.acompletion(model="fast", messages=MESSAGES)
        assert response.choices[0].message.content == "hello from w"
        assert upstream.bodies["w"][-1]["model"] == "gpt-4o-mini"
    finally:
        await router.aclose()


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        (
            {"gpt-4": "gpt-5"},
            "model_group_alias 'gpt-4' points at 'gpt-5', which is not a model group "
            "on this router; known groups: backup, gpt-4o",
        ),
        (
            {"backup": "gpt-4o"},
            "model_group_alias 'backup' is also the name of a model group: a request "
            "for it would be ambiguous",
        ),
        (
            {"a": "b", "b": "gpt-4o"},
            "model_group_alias 'a' points at 'b', another alias; aliases do not chain",
        ),
        ({"gpt-4": {"model": "gpt-4o", "hiden": True}}, "model_group_alias 'gpt-4': unknown keys hiden"),
        ({"gpt-4": {"model": "gpt-4o", "hidden": "yes"}}, "'hidden' must be true or false, got 'yes'"),
        (
            {"gpt-4": {"hidden": True}},
            "model_group_alias 'gpt-4': the model group must be a non-empty string",
        ),
        ({"gpt-4": ["gpt-4o"]}, "model_group_alias 'gpt-4': expected a model group name"),
        ({"": "gpt-4o"}, "alias names must be non-empty strings"),
    ],
)
def test_a_bad_alias_is_refused_when_the_router_is_built(
    upstream: Upstream, aliases: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        Router(model_list=[dep(upstream, "gpt-4o", "a"), dep(upstream, "backup", "b")],
               model_group_alias=aliases)  # fmt: skip
    assert message in str(refused.value)


def test_an_alias_may_not_target_a_wildcard_pattern(upstream: Upstream) -> None:
    with pytest.raises(ValueError, match=r"points at 'openai/\*', which is not a model group"):
        Router(model_list=[dep(upstream, "openai/*", "w", model="openai/*")],
               model_group_alias={"any": "openai/*"})  # fmt: skip


def test_fallbacks_name_groups_not_aliases(upstream: Upstream) -> None:
    # a catch-all group would otherwise take the alias's name as a model to call
    with pytest.raises(BadRequestError, match="fallbacks name unknown model groups: gpt-4"):
        Router(
            model_list=[
                dep(upstream, "gpt-4o", "a"),
                dep(upstream, "*", "w", model="*", api_key=None, api_base=None),
            ],
            model_group_alias={"gpt-4": "gpt-4o"},
            fallbacks=[{"*": ["gpt-4"]}],
        )
