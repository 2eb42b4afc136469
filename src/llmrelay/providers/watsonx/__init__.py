"""IBM watsonx.ai (`watsonx/<model>`: the chat API; `watsonx_text/<model>`: text generation), its
embeddings, and IAM access tokens minted from an IBM Cloud API key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.watsonx.adapter import WatsonxProvider, WatsonxTextProvider

__all__ = ["WatsonxProvider", "WatsonxTextProvider"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name in __all__:
        from llmrelay.providers.watsonx import adapter

        return getattr(adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
