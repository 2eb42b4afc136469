"""token_counter: exact for OpenAI encodings (bpe-openai, offline), estimate elsewhere."""

from __future__ import annotations

import pytest

from llmrelay.cost.tokens import count_text, encoding_name_for, token_counter


def test_encoding_choice() -> None:
    assert encoding_name_for("gpt-4o") == "o200k_base"
    assert encoding_name_for("openai/gpt-4.1-mini") == "o200k_base"
    assert encoding_name_for("gpt-4-0613") == "cl100k_base"
    assert encoding_name_for("gpt-3.5-turbo") == "cl100k_base"
    assert encoding_name_for("text-embedding-3-small") == "cl100k_base"


def test_known_counts() -> None:
    # reference counts from OpenAI's tokenizer for these encodings
    assert count_text("hello world", "gpt-4o") == 2
    assert count_text("tiktoken is great!", "gpt-3.5-turbo") == 6
    assert count_text("", "gpt-4o") == 0


def test_chat_framing() -> None:
    messages = [{"role": "user", "content": "hello world"}]
    # 3 per message + role (1) + content (2) + 3 reply priming
    assert token_counter("gpt-4o", messages) == 3 + 1 + 2 + 3
    named = [{"role": "user", "content": "hello world", "name": "bob"}]
    assert token_counter("gpt-4o", named) == token_counter("gpt-4o", messages) + 1 + count_text("bob")


def test_images_count_as_low_detail() -> None:
    with_image = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
            ],
        }
    ]
    text_only = [{"role": "user", "content": "hi"}]
    assert token_counter("gpt-4o", with_image) == token_counter("gpt-4o", text_only) + 85


def test_plain_text_and_other_providers_estimate() -> None:
    assert token_counter(model="gpt-4o", text="hello world") == 2
    # non-OpenAI models: o200k_base as the documented estimate
    assert token_counter("anthropic/claude-sonnet-4-5", text="hello world") == 2


def test_fallback_without_the_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmrelay.cost.tokens as tokens

    def missing(name: str) -> None:
        raise ImportError("bpe_openai")

    monkeypatch.setattr(tokens, "_encoding", missing)
    assert tokens.count_text("abcdefgh", "gpt-4o") == 2  # ~4 characters a token
