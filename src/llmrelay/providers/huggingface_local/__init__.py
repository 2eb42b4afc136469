"""Local Hugging Face models run in this process (`huggingface_local/<folder-or-model-id>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.huggingface_local.adapter import HuggingFaceLocalProvider

__all__ = ["HuggingFaceLocalProvider"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name == "HuggingFaceLocalProvider":
        from llmrelay.providers.huggingface_local.adapter import HuggingFaceLocalProvider

        return HuggingFaceLocalProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
