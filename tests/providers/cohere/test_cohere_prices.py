"""Cohere's models are priced whichever name they are called by: the price list files chat models under
cohere_chat/ and embedding models under cohere/, and users write both."""

from __future__ import annotations

import pytest

from llmrelay.cost.catalog import Catalog

PER_MILLION = 1_000_000  # picos per token = USD per million tokens times this


@pytest.mark.parametrize(
    ("model", "usd_in", "usd_out"),
    [
        ("command-a-03-2025", 2.5, 10.0),
        ("command-r-plus-08-2024", 2.5, 10.0),
        ("command-r-08-2024", 0.15, 0.6),
        ("command-r7b-12-2024", 0.0375, 0.15),
    ],
)
@pytest.mark.parametrize("provider", ["cohere", "cohere_chat"])
def test_chat_models_under_both_names(provider: str, model: str, usd_in: float, usd_out: float) -> None:
    info = Catalog().get(model, provider)
    assert info is not None and info.mode == "chat"
    assert (info.input, info.output) == (round(usd_in * PER_MILLION), round(usd_out * PER_MILLION))


@pytest.mark.parametrize(
    ("model", "usd_in"),
    [
        ("embed-english-v3.0", 0.10),
        ("embed-multilingual-v3.0", 0.10),
        ("embed-english-light-v3.0", 0.10),
        ("embed-multilingual-light-v3.0", 0.10),  # corrected: the source list says $100
        ("embed-v4.0", 0.12),
    ],
)
@pytest.mark.parametrize("provider", ["cohere", "cohere_chat"])
def test_embedding_models_under_both_names(provider: str, model: str, usd_in: float) -> None:
    info = Catalog().get(model, provider)
    assert info is not None and info.mode == "embedding" and info.input == round(usd_in * PER_MILLION)


def test_siblings_do_not_leak_to_other_providers() -> None:
    catalog = Catalog()
    assert catalog.get("command-a-03-2025", "openai") is None
    assert catalog.provider_for("command-a-03-2025") == "cohere_chat"
    assert catalog.provider_for("embed-v4.0") == "cohere"
