"""Re-derive src/llmrelay/cost/data/catalog.json from the community price list.

    python scripts/build_catalog.py [path/to/model_prices.json]

Prices become integer pico-USD per token (so sub-cent prices stay exact); only the fields llmrelay
uses are kept; every model is keyed `provider/model`, and bare names get an alias to their provider.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "model_prices.json"
TARGET = ROOT / "src" / "llmrelay" / "cost" / "data" / "catalog.json"

MODES = {"chat", "completion", "embedding", "responses"}
PRICES = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "reasoning": "output_cost_per_reasoning_token",
}
TIERED = {
    "input_above": "input_cost_per_token_above_{}_tokens",
    "output_above": "output_cost_per_token_above_{}_tokens",
    "cache_read_above": "cache_read_input_token_cost_above_{}_tokens",
}
TIER_THRESHOLDS = {"128k": 128_000, "200k": 200_000, "272k": 272_000}
CAPABILITIES = (
    "function_calling", "parallel_function_calling", "vision", "response_schema", "reasoning",
    "prompt_caching", "audio_input", "pdf_input", "tool_choice", "system_messages",
)  # fmt: skip
# when a bare model name is listed by several providers, the model's maker serves it
PREFERRED = ("openai", "anthropic", "gemini", "mistral", "xai", "deepseek", "cohere", "groq")


def picos(usd_per_token: Any) -> int | None:
    if not isinstance(usd_per_token, int | float):
        return None
    return round(usd_per_token * 10**12)


def convert(entry: dict[str, Any], provider: str) -> dict[str, Any]:
    out: dict[str, Any] = {"provider": provider, "mode": entry.get("mode", "chat")}
    for field in ("max_input_tokens", "max_output_tokens"):
        if isinstance(entry.get(field), int):
            out[field] = entry[field]
    for field, source in PRICES.items():
        value = picos(entry.get(source))
        if value is not None:
            out[field] = value
    for label, threshold in TIER_THRESHOLDS.items():
        tier = {f: picos(entry.get(src.format(label))) for f, src in TIERED.items()}
        if any(v is not None for v in tier.values()):
            out["tier_threshold"] = threshold
            out.update({k: v for k, v in tier.items() if v is not None})
            break
    caps = sorted(c for c in CAPABILITIES if entry.get(f"supports_{c}"))
    if caps:
        out["capabilities"] = caps
    return out


def pick_provider(providers: list[str]) -> str:
    for preferred in PREFERRED:
        if preferred in providers:
            return preferred
    return providers[0]


def build(source: dict[str, Any]) -> dict[str, Any]:
    models: dict[str, Any] = {}
    candidates: dict[str, list[str]] = {}
    unprefixed: set[str] = set()
    for key, entry in sorted(source.items()):
        if not isinstance(entry, dict) or key == "sample_spec":
            continue
        provider = entry.get("litellm_provider")
        if not provider or entry.get("mode", "chat") not in MODES:
            continue
        qualified = key if key.startswith(provider + "/") else f"{provider}/{key}"
        models[qualified] = convert(entry, provider)
        bare = qualified[len(provider) + 1 :]
        # unprefixed source keys first: the list names a model bare under its maker
        if "/" not in key:
            unprefixed.add(bare)
        candidates.setdefault(bare, []).insert(
            0 if "/" not in key else len(candidates.get(bare, [])), provider
        )
    # a bare name resolves only where the list names it bare, or where its maker lists it
    aliases = {
        bare: f"{pick_provider(providers)}/{bare}"
        for bare, providers in candidates.items()
        if bare in unprefixed or any(p in PREFERRED for p in providers)
    }
    return {
        "version": 1,
        "source": "LiteLLM community model price list (MIT), release 1.110.2",
        "models": models,
        "aliases": aliases,
    }


def main() -> None:
    source_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    catalog = build(json.loads(source_path.read_text()))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(catalog, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {len(catalog['models'])} models, {len(catalog['aliases'])} aliases to {TARGET}")


if __name__ == "__main__":
    main()
