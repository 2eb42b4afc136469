"""The model catalog: prices (integer pico-USD per token, so cheap models stay exact), context windows,
modes and capabilities, keyed by `provider/model`. Loaded from data/catalog.json on first use.

The data file is derived from the shared community price list by scripts/build_catalog.py.
"""

from __future__ import annotations

import threading
from importlib import resources

import msgspec

from llmrelay.cost.litellm_format import PICO_PER_USD
from llmrelay.types.prices import Prices

__all__ = ["PICO_PER_USD", "Catalog", "CatalogFile", "ModelInfo", "load_catalog_file", "with_prices"]


# providers that one adapter serves under two names, whose models the price list files under either:
# LiteLLM lists Cohere's chat models as cohere_chat/ and its embedding models as cohere/, and users
# write both `cohere/command-a-03-2025` and `cohere_chat/command-a-03-2025`
SIBLING_PROVIDERS: dict[str, tuple[str, ...]] = {
    "cohere": ("cohere_chat",),
    "cohere_chat": ("cohere",),
    # LiteLLM's price list has Ollama's and AI21's models under one of the two names only
    "ollama": ("ollama_chat",),
    "ollama_chat": ("ollama",),
    "ai21": ("ai21_chat",),
    "ai21_chat": ("ai21",),
    # watsonx_text/ reaches the same models as watsonx/, which the price list files them under
    "watsonx_text": ("watsonx",),
    # llmrelay's bedrock/ speaks the Converse API: the price list files the models only Converse
    # serves under bedrock_converse/
    "bedrock": ("bedrock_converse",),
    # the price list files Fireworks' embedding models under a provider name of their own
    "fireworks_ai": ("fireworks_ai-embedding-models",),
    # Mistral's Codestral models, priced under either name (chat, and fill-in-the-middle)
    "codestral": ("text-completion-codestral",),
    "text-completion-codestral": ("codestral",),
}


class ModelInfo(Prices, kw_only=True, omit_defaults=True):
    provider: str
    mode: str = "chat"
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    # capability names: function_calling, parallel_function_calling, vision, response_schema,
    # reasoning, prompt_caching, audio_input, pdf_input, tool_choice, system_messages
    capabilities: frozenset[str] = frozenset()

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities


def with_prices(info: ModelInfo | None, prices: Prices, provider: str) -> ModelInfo:
    """`info` (or a bare entry) with every price replaced by `prices`."""
    base = info if info is not None else ModelInfo(provider=provider)
    return msgspec.structs.replace(base, **{name: getattr(prices, name) for name in Prices.__struct_fields__})


class CatalogFile(msgspec.Struct, kw_only=True):
    version: int
    source: str
    models: dict[str, ModelInfo]
    # bare model name → "provider/model", for calls that name no provider
    aliases: dict[str, str]


def load_catalog_file() -> CatalogFile:
    """The whole shipped catalog, every entry decoded (≈ 11 MB of objects: see Catalog)."""
    return msgspec.json.decode(_catalog_bytes(), type=CatalogFile)


def _catalog_bytes() -> bytes:
    return resources.files("llmrelay.cost").joinpath("data/catalog.json").read_bytes()


class _RawCatalogFile(msgspec.Struct, kw_only=True):
    """The shipped catalog with each model's entry left as its JSON text (a slice of the file)."""

    version: int
    source: str
    models: dict[str, msgspec.Raw]
    aliases: dict[str, str]


_MODEL_INFO = msgspec.json.Decoder(ModelInfo)


class _ShippedModels:
    """The shipped entries, each decoded on its first lookup. Decoding all ≈ 4,550 of them up front
    cost each gateway worker ≈ 11 MB of RSS for the few models it serves; the JSON text of the
    whole file is ≈ 1 MB (docs/adr/0012). Entries are decoded at most once (a race decodes twice,
    equal values: harmless)."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: dict[str, msgspec.Raw]) -> None:
        self._raw = raw
        self._decoded: dict[str, ModelInfo] = {}

    def get(self, key: str) -> ModelInfo | None:
        info = self._decoded.get(key)
        if info is None:
            text = self._raw.get(key)
            if text is None:
                return None
            info = self._decoded[key] = _MODEL_INFO.decode(text)
        return info


class Catalog:
    """Lookups over the shipped catalog plus the owner's custom entries (which win)."""

    def __init__(self, data: CatalogFile | None = None) -> None:
        self._data = data
        # what lookups read: `data`'s tables, or (data None) the shipped file's, decoded per entry
        self._tables: tuple[dict[str, ModelInfo] | _ShippedModels, dict[str, str]] | None = None
        self._custom: dict[str, ModelInfo] = {}
        # (model, provider) → answer; every call prices its response, so lookups are remembered
        self._memo: dict[tuple[str, str | None], ModelInfo | None] = {}
        self._lock = threading.Lock()

    @property
    def data(self) -> CatalogFile:
        """The whole catalog, every entry decoded (lookups do not need it; see _ShippedModels)."""
        if self._data is None:
            with self._lock:
                if self._data is None:
                    self._data = load_catalog_file()
        return self._data

    def _lookup_tables(self) -> tuple[dict[str, ModelInfo] | _ShippedModels, dict[str, str]]:
        tables = self._tables
        if tables is None:
            with self._lock:
                tables = self._tables
                if tables is None:
                    if self._data is not None:
                        tables = (self._data.models, self._data.aliases)
                    else:
                        raw = msgspec.json.decode(_catalog_bytes(), type=_RawCatalogFile)
                        tables = (_ShippedModels(raw.models), raw.aliases)
                    self._tables = tables
        return tables

    def register(self, model: str, info: ModelInfo) -> None:
        """Add or override a model's entry. `model` is `provider/model` (or a bare name)."""
        self._custom[model] = info
        self._memo.clear()

    def get(self, model: str, provider: str | None = None) -> ModelInfo | None:
        """Find a model by `provider/model`, by `model` under `provider`, or by bare name."""
        key = (model, provider)
        try:
            return self._memo[key]
        except KeyError:
            pass
        info = self._lookup(model, provider)
        if len(self._memo) < 10_000:  # bounded: model names come from callers
            self._memo[key] = info
        return info

    def _lookup(self, model: str, provider: str | None) -> ModelInfo | None:
        keys = [model]
        if provider:
            siblings = SIBLING_PROVIDERS.get(provider, ())
            keys = [f"{provider}/{model}", *(f"{s}/{model}" for s in siblings), model]
        for key in keys:
            info = self._custom.get(key)
            if info is not None:
                return info
        models, aliases = self._lookup_tables()
        for key in keys:
            info = models.get(key)
            if info is not None:
                return info
        alias = aliases.get(model)
        # LiteLLM files OpenAI's completions-only models (gpt-3.5-turbo-instruct) as text-completion-openai
        if alias is not None and (
            provider is None or alias.startswith((f"{provider}/", f"text-completion-{provider}/"))
        ):
            return models.get(alias)
        return None

    def provider_for(self, bare_model: str) -> str | None:
        """The provider that serves a bare model name (`gpt-4o` → `openai`), if the catalog knows."""
        info = self._custom.get(bare_model)
        if info is not None:
            return info.provider
        alias = self._lookup_tables()[1].get(bare_model)
        if alias is not None:
            return alias.partition("/")[0]
        return None
