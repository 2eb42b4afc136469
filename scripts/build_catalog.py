"""Re-derive src/llmrelay/cost/data/catalog.json from the community price list.

    python scripts/build_catalog.py [path/to/model_prices.json] [--check]

Prices become integer pico-USD per token (so sub-cent prices stay exact); only the fields llmrelay
uses are kept; every model is keyed `provider/model`, and bare names get an alias to their provider.
With --check, nothing is written: the exit status says whether the shipped file is up to date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from llmrelay.cost.litellm_format import MODES, model_info_fields  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "model_prices.json"
TARGET = ROOT / "src" / "llmrelay" / "cost" / "data" / "catalog.json"
SOURCE_LABEL = "LiteLLM community model price list (MIT), release 1.110.2"
# when a bare model name is listed by several providers, the model's maker serves it
PREFERRED = ("openai", "anthropic", "gemini", "mistral", "xai", "deepseek", "cohere", "groq")
# Official AWS Bedrock list prices (on-demand, US regions, USD per token) of common models the price
# list lacks under `bedrock/`; entries in the list's own format
_CLAUDE_3_HAIKU = {
    "litellm_provider": "bedrock", "mode": "chat", "input_cost_per_token": 2.5e-07,
    "output_cost_per_token": 1.25e-06, "max_input_tokens": 200000, "max_output_tokens": 4096,
    "supports_function_calling": True, "supports_vision": True, "supports_tool_choice": True,
}  # fmt: skip
BEDROCK_LIST_PRICES: dict[str, dict[str, Any]] = {
    "bedrock/anthropic.claude-3-haiku-20240307-v1:0": _CLAUDE_3_HAIKU,
    "bedrock/us.anthropic.claude-3-haiku-20240307-v1:0": _CLAUDE_3_HAIKU,
}


# entries of the source list that disagree with the provider's official list price, corrected here
# (LiteLLM's format, merged into the source entry) until the source is fixed
CORRECTIONS: dict[str, dict[str, Any]] = {
    # Cohere prices every Embed v3 model at $0.10 per million tokens; the list has $100
    "embed-multilingual-light-v3.0": {"input_cost_per_token": 1e-07},
}


# the price list files one provider's models under several names (LiteLLM's internal groups, by
# publisher); llmrelay keys them by the provider name users write:
# `vertex_ai-language-models/gemini-x` → `vertex_ai/gemini-x`
PROVIDER_FAMILIES = {"vertex_ai-": "vertex_ai"}


def pick_provider(providers: list[str]) -> str:
    for preferred in PREFERRED:
        if preferred in providers:
            return preferred
    return providers[0]


def _claude(input_usd: float, output_usd: float, max_output: int) -> dict[str, Any]:
    """A Claude entry at Anthropic's list prices per million tokens (cache write 1.25x, read 0.1x)."""
    return {
        "litellm_provider": "vertex_ai",
        "mode": "chat",
        "input_cost_per_token": input_usd / 1e6,
        "output_cost_per_token": output_usd / 1e6,
        "cache_creation_input_token_cost": input_usd * 1.25 / 1e6,
        "cache_read_input_token_cost": input_usd * 0.1 / 1e6,
        "max_input_tokens": 200_000,
        "max_output_tokens": max_output,
        "supports_function_calling": True,
        "supports_tool_choice": True,
        "supports_vision": True,
        "supports_pdf_input": True,
        "supports_prompt_caching": True,
    }


# models the price list lacks, added at their official list prices (Google lists Claude on Vertex AI
# at Anthropic's prices: https://platform.claude.com/docs/en/about-claude/pricing); the list's own
# entries win when it has them
EXTRA_MODELS: dict[str, dict[str, Any]] = {
    "vertex_ai/claude-3-5-sonnet-v2@20241022": _claude(3, 15, 8_192),
    "vertex_ai/claude-3-7-sonnet@20250219": _claude(3, 15, 64_000),
    "vertex_ai/claude-sonnet-4@20250514": _claude(3, 15, 64_000),
    "vertex_ai/claude-opus-4@20250514": _claude(15, 75, 32_000),
    "vertex_ai/claude-opus-4-1@20250805": _claude(15, 75, 32_000),
    **{
        # OpenAI's DALL·E list prices per image (https://openai.com/api/pricing), by quality and size
        f"openai/{key}/dall-e-{version}": {
            "litellm_provider": "openai",
            "mode": "image_generation",
            "input_cost_per_image": usd,
        }
        for version, key, usd in (
            (3, "standard/1024-x-1024", 0.04),
            (3, "standard/1024-x-1792", 0.08),
            (3, "standard/1792-x-1024", 0.08),
            (3, "hd/1024-x-1024", 0.08),
            (3, "hd/1024-x-1792", 0.12),
            (3, "hd/1792-x-1024", 0.12),
            (2, "256-x-256", 0.016),
            (2, "512-x-512", 0.018),
            (2, "1024-x-1024", 0.02),
        )
    },
    # the models themselves, at their default size and quality (so they are known as image models)
    "openai/dall-e-3": {
        "litellm_provider": "openai",
        "mode": "image_generation",
        "input_cost_per_image": 0.04,
    },
    "openai/dall-e-2": {
        "litellm_provider": "openai",
        "mode": "image_generation",
        "input_cost_per_image": 0.02,
    },
}


def family(provider: str) -> str:
    for prefix, name in PROVIDER_FAMILIES.items():
        if provider.startswith(prefix):
            return name
    return provider


def build(source: dict[str, Any]) -> dict[str, Any]:
    models: dict[str, Any] = {}
    # bare name → providers listing it; providers that list it bare come first
    candidates: dict[str, list[str]] = {}
    unprefixed: set[str] = set()
    source = {**EXTRA_MODELS, **source}
    for key, entry in sorted(source.items()):
        if not isinstance(entry, dict) or key == "sample_spec":
            continue
        if key in CORRECTIONS:
            entry = {**entry, **CORRECTIONS[key]}
        provider = entry.get("litellm_provider")
        if not isinstance(provider, str) or entry.get("mode", "chat") not in MODES:
            continue
        provider = family(provider)
        qualified = key if key.startswith(provider + "/") else f"{provider}/{key}"
        models[qualified] = model_info_fields(entry, provider)
        bare = qualified[len(provider) + 1 :]
        listed = candidates.setdefault(bare, [])
        if "/" not in key:
            unprefixed.add(bare)
            listed.insert(0, provider)
        else:
            listed.append(provider)
    _bedrock_converse_as_bedrock(models)
    for key, entry in BEDROCK_LIST_PRICES.items():
        models.setdefault(key, model_info_fields(entry, "bedrock"))
    # a bare name resolves only where the list names it bare, or where its maker lists it
    aliases = {
        bare: f"{pick_provider(providers)}/{bare}"
        for bare, providers in candidates.items()
        if bare in unprefixed or any(p in PREFERRED for p in providers)
    }
    # a bare Bedrock model id is served by the `bedrock` provider (its Converse twin names no provider
    # that llmrelay serves)
    aliases = {
        bare: "bedrock/" + target.split("/", 1)[1] if target.startswith("bedrock_converse/") else target
        for bare, target in aliases.items()
    }
    return {"version": 1, "source": SOURCE_LABEL, "models": models, "aliases": aliases}


def _bedrock_converse_as_bedrock(models: dict[str, Any]) -> None:
    """llmrelay's `bedrock/` models are called through the Converse API, which the price list files
    as `bedrock_converse/`: those prices are the `bedrock/` model's too (fields the `bedrock/` entry
    lacks are filled from its Converse twin; its own fields win)."""
    for key, info in list(models.items()):
        if not key.startswith("bedrock_converse/"):
            continue
        twin = "bedrock/" + key.split("/", 1)[1]
        merged = {**info, **models.get(twin, {}), "provider": "bedrock"}
        models[twin] = merged


def render(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--check"]
    source_path = Path(args[0]) if args else DEFAULT_SOURCE
    text = render(build(json.loads(source_path.read_text())))
    if "--check" in argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run scripts/build_catalog.py", file=sys.stderr)
            return 1
        print(f"{TARGET} is up to date")
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text)
    catalog = json.loads(text)
    print(f"wrote {len(catalog['models'])} models, {len(catalog['aliases'])} aliases to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
