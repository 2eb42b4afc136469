"""OpenAI-compatible providers as data: each row of openai_compat.toml is one provider."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

import msgspec


# forbid_unknown_fields: a row naming a field that does not exist (a misspelling, a flag that was
# renamed) fails when the rows are read, rather than being silently ignored
class CompatSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    api_base: str = ""
    api_key_env: tuple[str, ...] = ()
    api_base_env: tuple[str, ...] = ()
    requires_api_key: bool = True
    # sends stream_options.include_usage (else the provider reports usage on its own, or not at all)
    stream_usage: bool = True
    embeddings: bool = True
    text_completions: bool = False
    # speaks OpenAI's whole API: every endpoint the OpenAI adapter has a codec for (moderations,
    # images, audio...), not only chat, embeddings and completions; the adapter's codec table
    # (OpenAICompatible.codec_table) is the one list of those endpoints
    whole_api: bool = False
    # serves OpenAI's speech to text (/audio/transcriptions, /audio/translations) without the rest
    # of its whole API (Groq's whisper models)
    audio_transcriptions: bool = False
    # ChatRequest fields the provider rejects
    unsupported_params: frozenset[str] = frozenset()
    # "max_tokens" or "max_completion_tokens": which name the provider reads for the output cap
    max_tokens_field: str = "max_tokens"
    # the provider reads max_tokens only (max_completion_tokens would be ignored): a caller's
    # max_completion_tokens is sent as max_tokens
    max_tokens_only: bool = False
    # model-id prefixes of reasoning models, which take only max_completion_tokens (OpenAI's o-series)
    reasoning_models: tuple[str, ...] = ()
    # put between api_base and the endpoint path, for providers whose usual base is the host root
    path_prefix: str = ""
    # a header that carries the API key too, besides `Authorization: Bearer` (Sarvam's
    # api-subscription-key)
    key_header: str = ""
    docs: str = ""


class _CompatFile(msgspec.Struct):
    provider: list[CompatSpec]


@functools.cache
def compat_specs() -> dict[str, CompatSpec]:
    """All rows, by provider name. Read once, on first use (never at import)."""
    raw = resources.files("llmrelay.providers").joinpath("openai_compat.toml").read_text()
    parsed = msgspec.convert(tomllib.loads(raw), _CompatFile)
    return {spec.name: spec for spec in parsed.provider}
