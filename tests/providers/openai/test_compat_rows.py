"""Every row of openai_compat.toml, called the way a LiteLLM user calls it: `<prefix>/<model>` through
`llmrelay.completion` against the OpenAI simulator. The call reaches the simulator's chat path with
the row's model id and credential (the key from the row's environment variable when none is passed),
streams, and a row without a default endpoint refuses clearly when none is given."""

from __future__ import annotations

import pytest

import llmrelay
from llmrelay.providers.compat import CompatSpec, compat_specs
from llmrelay.providers.registry import NATIVE_ADAPTERS, ProviderRegistry
from llmrelay.router.model_strings import LITELLM_ONLY_PROVIDERS
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError

# the rows the OpenAI adapter serves as they are (a native adapter may build on a row: huggingface)
ROWS = sorted((s for s in compat_specs().values() if s.name not in NATIVE_ADAPTERS), key=lambda s: s.name)
IDS = [spec.name for spec in ROWS]
QUESTION = "Which rivers do otters like?"
MESSAGES = [{"role": "user", "content": QUESTION}]
ENV_KEY = "env-key-for-the-row-7c1d"


@pytest.fixture(autouse=True)
def _no_row_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in ROWS:
        for name in (*spec.api_key_env, *spec.api_base_env):
            monkeypatch.delenv(name, raising=False)


def _base(spec: CompatSpec, sim: RunningSimulator) -> str:
    # a row whose usual base is the server root (its API under /v1) is given the simulator's root
    return sim.base_url if spec.path_prefix == "v1/" else sim.api_base


@pytest.mark.parametrize("spec", ROWS, ids=IDS)
def test_prefix_reaches_the_chat_path_with_the_key(spec: CompatSpec, openai_sim: RunningSimulator) -> None:
    answer = llmrelay.completion(
        model=f"{spec.name}/some-org/model-x",
        messages=MESSAGES,
        api_base=_base(spec, openai_sim),
        api_key="passed-key-3f9a",
        max_tokens=30,
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    sent = openai_sim.requests.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer passed-key-3f9a"
    assert sent.body["model"] == "some-org/model-x"
    assert answer._hidden_params["provider"] == spec.name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "spec", [s for s in ROWS if s.api_key_env], ids=[s.name for s in ROWS if s.api_key_env]
)
def test_key_comes_from_the_rows_environment_variable(
    spec: CompatSpec, openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(spec.api_key_env[-1], ENV_KEY)
    llmrelay.completion(model=f"{spec.name}/m", messages=MESSAGES, api_base=_base(spec, openai_sim))
    assert openai_sim.requests.last.headers["authorization"] == f"Bearer {ENV_KEY}"


@pytest.mark.parametrize(
    "spec", [s for s in ROWS if s.api_base_env], ids=[s.name for s in ROWS if s.api_base_env]
)
def test_base_comes_from_the_rows_environment_variable(
    spec: CompatSpec, openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(spec.api_base_env[0], _base(spec, openai_sim))
    llmrelay.completion(model=f"{spec.name}/m", messages=MESSAGES, api_key="k")
    assert openai_sim.requests.last.path == "/v1/chat/completions"


@pytest.mark.parametrize("spec", ROWS, ids=IDS)
def test_streams(spec: CompatSpec, openai_sim: RunningSimulator) -> None:
    stream = llmrelay.completion(
        model=f"{spec.name}/m",
        messages=MESSAGES,
        api_base=_base(spec, openai_sim),
        api_key="k",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    if spec.stream_usage:
        # (a row that does not ask, Mistral's, gets usage from a provider that sends it unasked,
        # which the OpenAI simulator does not)
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    sent = openai_sim.requests.last.body
    assert sent["stream"] is True
    assert ("stream_options" in sent) is spec.stream_usage


@pytest.mark.parametrize(
    "spec", [s for s in ROWS if not s.api_base], ids=[s.name for s in ROWS if not s.api_base]
)
def test_row_without_a_default_endpoint_refuses_clearly(spec: CompatSpec) -> None:
    with pytest.raises(BadRequestError, match="has no default endpoint: pass api_base") as info:
        llmrelay.completion(model=f"{spec.name}/m", messages=MESSAGES, api_key="k")
    for name in spec.api_base_env:
        assert name in info.value.message


@pytest.mark.parametrize(
    "spec", [s for s in ROWS if s.requires_api_key], ids=[s.name for s in ROWS if s.requires_api_key]
)
def test_missing_key_names_the_variables(spec: CompatSpec, openai_sim: RunningSimulator) -> None:
    with pytest.raises(llmrelay.AuthenticationError) as info:
        llmrelay.completion(model=f"{spec.name}/m", messages=MESSAGES, api_base=_base(spec, openai_sim))
    for name in spec.api_key_env:
        assert name in info.value.message
    assert openai_sim.requests.count() == 0


def test_documented_unsupported_parameters_are_refused(openai_sim: RunningSimulator) -> None:
    with pytest.raises(UnsupportedParamsError, match="frequency_penalty"):
        llmrelay.completion(
            model="cerebras/llama-3.3-70b", messages=MESSAGES, api_base=openai_sim.api_base,
            api_key="k", frequency_penalty=0.5,
        )  # fmt: skip
    assert openai_sim.requests.count() == 0


def test_unknown_prefix_still_cannot_be_placed() -> None:
    with pytest.raises(BadRequestError, match="cannot tell which provider serves model"):
        llmrelay.completion(model="no-such-provider-zz/model-x", messages=MESSAGES, api_key="k")


def test_no_served_provider_is_listed_as_litellm_only() -> None:
    """model_strings' list of LiteLLM prefixes llmrelay lacks must not shadow one it now serves."""
    assert LITELLM_ONLY_PROVIDERS.isdisjoint(ProviderRegistry.known())


def test_every_row_names_its_docs_and_key_variable() -> None:
    for spec in ROWS:
        assert spec.docs.startswith("https://"), spec.name
        assert spec.api_key_env or not spec.requires_api_key, spec.name
