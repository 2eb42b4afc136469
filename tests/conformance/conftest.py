"""The adapter conformance suite: every registered adapter, every call type it serves, one set of
checks (golden wire fixtures, random stream splits, error mapping, where secrets go). Its helpers
(`conformance_*.py`) are importable from the tests because this folder holds a conftest.py.

Refresh the golden files after an intended change of a request or a parse:
`LLMRELAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/conformance`, then review the diff."""

from __future__ import annotations

import os

import pytest

from llmrelay.providers.registry import ProviderRegistry

# environment variables adapters read besides their key and base (api versions, clouds' settings)
_PREFIXES = (
    "AWS_",
    "AZURE_",
    "VERTEX",
    "GOOGLE_",
    "GEMINI_",
    "OPENAI_",
    "HF_",
    "HUGGINGFACE_",
    "WATSONX_",
    "WX_",
)


@pytest.fixture(autouse=True)
def _no_provider_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adapters fall back on environment variables: a developer's own must not change the wire."""
    registry = ProviderRegistry()
    names = set()
    for provider in registry.known():
        adapter = registry.get(provider)
        names.update(adapter.api_key_env, adapter.api_base_env)
    names.update(n for n in os.environ if n.startswith(_PREFIXES))
    for name in names:
        monkeypatch.delenv(name, raising=False)
