"""scripts/build_catalog.py: the LiteLLM price list → the shipped catalog."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import msgspec

from llmrelay.cost.catalog import CatalogFile, load_catalog_file

ROOT = Path(__file__).resolve().parents[2]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "scripts" / "build_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_catalog"] = module
    spec.loader.exec_module(module)
    return module


SOURCE = {
    "sample_spec": {"litellm_provider": "openai", "input_cost_per_token": 0},
    "gpt-x": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06,
        "max_input_tokens": 128000,
        "max_output_tokens": 16384,
        "supports_function_calling": True,
        "supports_vision": False,
        "input_cost_per_token_batches": 1e-6,
    },
    "azure/gpt-x": {"litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 3e-06},
    "gemini/gemini-z": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 1.25e-06,
        "output_cost_per_token": 1e-05,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "cache_read_input_token_cost_above_200k_tokens": 6.25e-07,
    },
    "vertex_ai/gemini-z": {"litellm_provider": "vertex_ai-language-models", "mode": "chat"},
    "dall-e-9": {"litellm_provider": "openai", "mode": "image_generation", "input_cost_per_pixel": 1e-8},
    "tiny": {
        "litellm_provider": "deepseek",
        "input_cost_per_token": 2.8e-07,
        "input_cost_per_token_cache_hit": 2.8e-08,
    },
    "broken": "not a dict",
}


def test_build_converts_prices_to_integer_picos_and_keys_by_provider() -> None:
    script = load_script()
    catalog = script.build(SOURCE)
    models = catalog["models"]
    # LiteLLM's vertex_ai-* groups are filed under the provider name users write, vertex_ai
    assert set(models) - set(script.BEDROCK_LIST_PRICES) == {
        "openai/gpt-x",
        "azure/gpt-x",
        "gemini/gemini-z",
        "vertex_ai/gemini-z",
        "deepseek/tiny",
        "openai/dall-e-9",  # image, rerank and moderation models are kept: they are priced per unit
        *script.EXTRA_MODELS,
    }
    assert models["vertex_ai/gemini-z"]["provider"] == "vertex_ai"
    assert models["openai/gpt-x"] == {
        "provider": "openai",
        "mode": "chat",
        "input": 2_500_000,
        "output": 10_000_000,
        "cache_read": 1_250_000,
        "input_batch": 1_000_000,  # a Batch API price is kept (priced when a batch completes)
        "max_input_tokens": 128000,
        "max_output_tokens": 16384,
        "capabilities": ["function_calling"],
    }
    assert models["gemini/gemini-z"]["tier_threshold"] == 200_000
    assert (models["gemini/gemini-z"]["input_above"], models["gemini/gemini-z"]["cache_read_above"]) == (
        2_500_000,
        625_000,
    )
    assert models["deepseek/tiny"]["cache_read"] == 28_000
    # bare names: the unprefixed listing, or the model's maker
    assert (
        models["openai/dall-e-9"]["per_pixel"] == 10_000
        and models["openai/dall-e-9"]["mode"] == "image_generation"
    )
    # added OpenAI models (DALL·E list prices) are known by their bare names too
    extra_openai = {k.removeprefix("openai/"): k for k in script.EXTRA_MODELS if k.startswith("openai/")}
    assert catalog["aliases"] == {
        "gpt-x": "openai/gpt-x",
        "gemini-z": "gemini/gemini-z",
        "tiny": "deepseek/tiny",
        "dall-e-9": "openai/dall-e-9",
        **extra_openai,
    }
    msgspec.convert(catalog, CatalogFile)  # loads as the package's own type


def test_shipped_catalog_is_what_the_script_builds(tmp_path: Path) -> None:
    source = ROOT.parent / "shared" / "data" / "model_prices.json"
    script = load_script()
    if not source.exists():
        import pytest

        pytest.skip("shared price list not present")
    rendered = script.render(script.build(json.loads(source.read_text())))
    assert rendered == (ROOT / "src" / "llmrelay" / "cost" / "data" / "catalog.json").read_text()
    shipped = load_catalog_file()
    assert shipped.aliases["gpt-4o"] == "openai/gpt-4o"
    assert shipped.aliases["claude-sonnet-4-5"].startswith("anthropic/")


def test_bedrock_converse_prices_are_the_bedrock_models_too() -> None:
    script = load_script()
    source = {
        "amazon.nova-x-v1:0": {"litellm_provider": "bedrock_converse", "mode": "chat",
                               "input_cost_per_token": 8e-07, "output_cost_per_token": 3.2e-06},
        "anthropic.claude-y": {"litellm_provider": "bedrock", "mode": "chat", "input_cost_per_token": 3e-06},
        "bedrock_converse/anthropic.claude-y": {
            "litellm_provider": "bedrock_converse", "mode": "chat",
            "input_cost_per_token": 9e-06, "cache_read_input_token_cost": 3e-07,
        },
    }  # fmt: skip
    catalog = script.build(source)
    models = catalog["models"]
    assert models["bedrock/amazon.nova-x-v1:0"]["input"] == 800_000
    assert models["bedrock/amazon.nova-x-v1:0"]["provider"] == "bedrock"
    # the bedrock entry's own price wins; what it lacks comes from its Converse twin
    assert models["bedrock/anthropic.claude-y"]["input"] == 3_000_000
    assert models["bedrock/anthropic.claude-y"]["cache_read"] == 300_000
    assert catalog["aliases"]["amazon.nova-x-v1:0"] == "bedrock/amazon.nova-x-v1:0"
    assert models["bedrock/anthropic.claude-3-haiku-20240307-v1:0"]["output"] == 1_250_000
