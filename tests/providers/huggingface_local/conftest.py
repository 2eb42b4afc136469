"""The models the huggingface_local tests load, built once per session (hf_local_models.py). They
need the `local` extra (torch, transformers, sentence-transformers), which `make test` installs;
without torch these tests are skipped, saying why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hf_local_models import HAS_TORCH, build_gpt2, extract_minilm

import llmrelay


@pytest.fixture(scope="session")
def chat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GPT-2 with a chat template and no end token: every generation runs to max_tokens."""
    if not HAS_TORCH:
        pytest.skip("torch is not installed")
    return build_gpt2(tmp_path_factory.mktemp("chat-gpt2"), chat_template=True, eos=False)


@pytest.fixture(scope="session")
def plain_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GPT-2 whose tokenizer has no chat template (prompts are role-prefixed lines)."""
    if not HAS_TORCH:
        pytest.skip("torch is not installed")
    return build_gpt2(tmp_path_factory.mktemp("plain-gpt2"), chat_template=False, eos=False)


@pytest.fixture(scope="session")
def eos_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GPT-2 whose every first token is its end-of-sequence token."""
    if not HAS_TORCH:
        pytest.skip("torch is not installed")
    return build_gpt2(tmp_path_factory.mktemp("eos-gpt2"), chat_template=True, always_eos=True)


@pytest.fixture(scope="session")
def slow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wider and deeper, with a long context: a generation of a few hundred tokens takes a while."""
    if not HAS_TORCH:
        pytest.skip("torch is not installed")
    return build_gpt2(
        tmp_path_factory.mktemp("slow-gpt2"), chat_template=True, eos=False, layers=6, width=256, context=2048
    )


@pytest.fixture(scope="session")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_TORCH:
        pytest.skip("torch is not installed")
    return extract_minilm(tmp_path_factory.mktemp("minilm"))


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()
