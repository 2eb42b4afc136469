"""Azure OpenAI (`azure/<deployment>`): the OpenAI adapter with Azure's URLs, credentials and
content-filter annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.azure.adapter import AzureOpenAI

__all__ = ["AzureOpenAI"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name == "AzureOpenAI":
        from llmrelay.providers.azure.adapter import AzureOpenAI

        return AzureOpenAI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
