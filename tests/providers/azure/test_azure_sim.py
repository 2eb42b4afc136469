"""The OpenAI simulator's Azure routes, checked with the official SDK's AzureOpenAI client (which builds
Azure's URLs, headers and api-version itself), and the llmrelay SDK's `azure/` calls against them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text

QUESTION = "Where do otters sleep?"
MESSAGES = [{"role": "user", "content": QUESTION}]
VERSION = "2024-10-21"


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT",
                 "AZURE_API_VERSION", "AZURE_AD_TOKEN", "OPENAI_API_VERSION"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def azure_sdk(openai_sim: RunningSimulator) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=openai_sim.base_url, api_key=openai_sim.api_key, api_version=VERSION, max_retries=0
    )


@pytest.fixture
async def client() -> Any:
    c = llmrelay.Client()
    yield c
    await c.aclose()


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# ---- the simulator, as the official SDK sees it
def test_official_azure_client_chat(azure_sdk: openai.AzureOpenAI, openai_sim: RunningSimulator) -> None:
    answer = azure_sdk.chat.completions.create(model="prod-gpt4o", messages=MESSAGES)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.model == "prod-gpt4o"
    extra = answer.model_extra or {}
    assert extra["prompt_filter_results"][0]["content_filter_results"]["violence"]["severity"] == "safe"
    choice_extra = answer.choices[0].model_extra or {}
    assert choice_extra["content_filter_results"]["hate"]["filtered"] is False
    last = openai_sim.requests.last
    assert last.path == "/openai/deployments/prod-gpt4o/chat/completions"
    assert last.query == {"api-version": VERSION}
    assert last.headers["api-key"] == openai_sim.api_key


def test_official_azure_client_stream_opens_with_annotations(azure_sdk: openai.AzureOpenAI) -> None:
    stream = azure_sdk.chat.completions.create(
        model="prod-gpt4o", messages=MESSAGES, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    first = chunks[0]
    assert first.choices == [] and first.id == "" and first.usage is None
    assert (first.model_extra or {})["prompt_filter_results"]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply_text(QUESTION)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_official_azure_client_with_entra_token(openai_sim: RunningSimulator) -> None:
    sdk = openai.AzureOpenAI(azure_endpoint=openai_sim.base_url, azure_ad_token="entra-token",
                             api_version=VERSION, max_retries=0)  # fmt: skip
    openai_sim.configure(api_keys={"entra-token"})
    sdk.chat.completions.create(model="d", messages=MESSAGES)  # type: ignore[arg-type]
    assert openai_sim.requests.last.headers["authorization"] == "Bearer entra-token"
    bad = openai.AzureOpenAI(azure_endpoint=openai_sim.base_url, azure_ad_token="stale",
                             api_version=VERSION, max_retries=0)  # fmt: skip
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="d", messages=MESSAGES)  # type: ignore[arg-type]
    assert "Access denied" in str(info.value)


def test_official_azure_client_embeddings_and_completions(azure_sdk: openai.AzureOpenAI) -> None:
    vectors = azure_sdk.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    assert [d.index for d in vectors.data] == [0, 1] and len(vectors.data[0].embedding) == 1536
    text = azure_sdk.completions.create(model="instruct", prompt="Say hi", max_tokens=20)
    assert text.choices[0].text == reply_text("Say hi")
    assert (text.model_extra or {})["prompt_filter_results"]


def test_azure_checks(openai_sim: RunningSimulator) -> None:
    route = f"{openai_sim.base_url}/openai/deployments/d/chat/completions"
    key = {"api-key": openai_sim.api_key}
    body = {"messages": MESSAGES}
    # no api-version: Azure answers 404
    assert post(route, body, key)[0] == 404
    status, error = post(route + "?api-version=yesterday", body, key)
    assert status == 400 and error["error"]["message"] == "API version not supported"
    status, error = post(route + f"?api-version={VERSION}", body, {})
    assert status == 401 and error["error"]["code"] == "401"
    # no `model` needed in the body: the deployment is in the URL
    status, answer = post(route + f"?api-version={VERSION}", body, key)
    assert status == 200 and answer["model"] == "d"
    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    status, error = post(route + "?api-version=2024-06-01", streamed, key)
    assert status == 400 and "stream_options" in error["error"]["message"]


def test_content_policy_fault_answers_as_azure(
    azure_sdk: openai.AzureOpenAI, openai_sim: RunningSimulator
) -> None:
    openai_sim.faults.set(kind="content_policy", times=1)
    with pytest.raises(openai.BadRequestError) as info:
        azure_sdk.chat.completions.create(model="d", messages=MESSAGES)  # type: ignore[arg-type]
    assert info.value.code == "content_filter"
    body: Any = info.value.body
    assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"


# ---- the llmrelay SDK against it
async def test_sdk_completion_with_azure_arguments(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    answer = await client.acompletion(
        "azure/gpt-4o",
        MESSAGES,
        api_base=openai_sim.base_url,
        api_key=openai_sim.api_key,
        api_version=VERSION,
    )
    assert isinstance(answer, llmrelay.ChatResponse)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    # a deployment named after its model is priced from the catalog's azure/ entry
    info = client.catalog.get("gpt-4o", "azure")
    assert info is not None and info.input and info.output is not None and answer.usage is not None
    picos = answer.usage.prompt_tokens * info.input + answer.usage.completion_tokens * info.output
    assert answer._hidden_params["cost_micros"] == (picos + 500_000) // 1_000_000  # type: ignore[attr-defined]
    assert answer._hidden_params["provider"] == "azure"  # type: ignore[attr-defined]
    assert openai_sim.requests.last.path == "/openai/deployments/gpt-4o/chat/completions"


async def test_sdk_stream_is_priced_and_clean(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    stream = await client.acompletion(
        "azure/gpt-4o", MESSAGES, stream=True, api_base=openai_sim.base_url, api_key=openai_sim.api_key
    )
    chunks = [c async for c in stream]  # type: ignore[union-attr]
    assert all(c.choices and c.id for c in chunks), "the annotation-only chunk reached the caller"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply_text(QUESTION)
    assert stream.usage is not None and stream.cost_micros > 0  # type: ignore[union-attr]
    assert openai_sim.requests.last.body["stream_options"] == {"include_usage": True}


async def test_sdk_stream_on_an_older_version(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    stream = await client.acompletion(
        "azure/gpt-4o", MESSAGES, stream=True, stream_options={"include_usage": True},
        api_base=openai_sim.base_url, api_key=openai_sim.api_key, api_version="2024-06-01",
    )  # fmt: skip
    chunks = [c async for c in stream]  # type: ignore[union-attr]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert "stream_options" not in openai_sim.requests.last.body


async def test_sdk_entra_token_keyword(
    client: llmrelay.Client, openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai_sim.configure(api_keys={"entra-token"})
    monkeypatch.setenv("AZURE_API_BASE", openai_sim.base_url)
    answer = await client.acompletion("azure/d", MESSAGES, azure_ad_token="entra-token")
    assert isinstance(answer, llmrelay.ChatResponse)
    last = openai_sim.requests.last
    assert last.headers["authorization"] == "Bearer entra-token" and "api-key" not in last.headers
    assert "azure_ad_token" not in last.body
    assert last.query == {"api-version": "2024-10-21"}


async def test_sdk_entra_token_is_a_credential_not_a_request_field(
    openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # like api_key: it reaches the deployment, never the request callbacks are handed
    openai_sim.configure(api_keys={"entra-token"})
    monkeypatch.setenv("AZURE_API_BASE", openai_sim.base_url)
    records: list[llmrelay.CallRecord] = []

    class Hooks(llmrelay.Callback):
        def on_success(self, record: llmrelay.CallRecord) -> None:
            records.append(record)

    c = llmrelay.Client(callbacks=[Hooks()])
    try:
        await c.acompletion("azure/d", MESSAGES, azure_ad_token="entra-token")
        await c.aflush_callbacks()
    finally:
        await c.aclose()
    [record] = records
    assert "entra-token" not in repr(record.request) and record.request.extra_body is None


async def test_sdk_embedding_and_content_filter_error(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    kwargs = {"api_base": openai_sim.base_url, "api_key": openai_sim.api_key}
    vectors = await client.aembedding("azure/text-embedding-3-small", ["a", "b"], **kwargs)
    assert len(vectors.data) == 2 and vectors.usage.prompt_tokens == 2
    openai_sim.faults.set(kind="content_policy", times=1)
    with pytest.raises(llmrelay.ContentPolicyViolationError) as info:
        await client.acompletion("azure/d", MESSAGES, **kwargs)
    assert info.value.code == "content_filter" and info.value.provider == "azure"
