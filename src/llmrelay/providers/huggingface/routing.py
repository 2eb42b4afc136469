"""Where a Hugging Face call goes: the router's model id, and the URLs of chat and embeddings.

LiteLLM users write `huggingface/<org>/<model>` (the router picks a provider) or
`huggingface/<provider>/<org>/<model>` (one provider). The router names the provider with a suffix:
`<org>/<model>:<provider>` (also `:fastest`, `:cheapest`, which are passed through as written).
"""

from __future__ import annotations

from llmrelay.providers.paths import path_part
from llmrelay.types.errors import BadRequestError

PROVIDER = "huggingface"
# the provider of the router that serves embeddings (feature extraction) for Hub models
EMBEDDING_PROVIDER = "hf-inference"


def router_model(model: str) -> str:
    """`together/deepseek-ai/DeepSeek-R1` → `deepseek-ai/DeepSeek-R1:together`; `<org>/<model>`,
    `<org>/<model>:<policy>` and single names (a TGI endpoint's `tgi`) stay as written."""
    provider, hub_id = split_provider(model)
    return f"{hub_id}:{provider}" if provider else hub_id


def split_provider(model: str) -> tuple[str | None, str]:
    """(inference provider or None, Hub model id possibly with a `:suffix`)."""
    if model.startswith(("http://", "https://")):
        raise BadRequestError(
            f"an endpoint URL in the model string ({model!r}) is not read: give it as api_base and "
            "name the model 'huggingface/<org>/<model>' (or 'huggingface/tgi')",
            provider=PROVIDER,
            model=model,
            param="model",
        )
    parts = model.split("/")
    if any(not p.strip() for p in parts):
        raise _bad_model(model, "has an empty part")
    if len(parts) <= 2:
        return None, model
    if len(parts) > 3:
        raise _bad_model(model, "has too many parts")
    provider, org, name = parts
    if ":" in name:
        raise _bad_model(model, "names its inference provider twice (prefix and ':' suffix)")
    return provider, f"{org}/{name}"


def chat_base(api_base: str) -> str:
    """The OpenAI-style base (ending in /v1) of the router or of a dedicated endpoint: an Inference
    Endpoint or TGI server is usually given by its root URL, under which /v1 serves chat."""
    return api_base if api_base.endswith("/v1") else api_base + "/v1"


def embedding_url(api_base: str, model: str) -> str:
    """The feature-extraction URL. An OpenAI-style base (the router's .../v1) reaches the hf-inference
    provider at `<host>/hf-inference/models/<org>/<model>/pipeline/feature-extraction`; any other base
    is a dedicated endpoint, which takes the same body at its own URL."""
    if not api_base.endswith("/v1"):
        return api_base
    provider, hub_id = split_provider(model)
    if provider not in (None, EMBEDDING_PROVIDER):
        raise BadRequestError(
            f"Hugging Face embeddings go through the {EMBEDDING_PROVIDER!r} provider, not {provider!r}: "
            f"use 'huggingface/{hub_id}' or 'huggingface/{EMBEDDING_PROVIDER}/{hub_id}'",
            provider=PROVIDER,
            model=model,
            param="model",
        )
    if ":" in hub_id:
        raise _bad_model(model, "takes no ':' suffix for embeddings")
    host = api_base.removesuffix("/v1")
    path = path_part(hub_id, provider=PROVIDER, safe="/-_.")
    return f"{host}/{EMBEDDING_PROVIDER}/models/{path}/pipeline/feature-extraction"


def _bad_model(model: str, why: str) -> BadRequestError:
    return BadRequestError(
        f"Hugging Face model {model!r} {why}: write 'huggingface/<org>/<model>' or "
        "'huggingface/<provider>/<org>/<model>'",
        provider=PROVIDER,
        model=model,
        param="model",
    )
