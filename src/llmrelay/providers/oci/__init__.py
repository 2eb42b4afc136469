"""Oracle Cloud Infrastructure Generative AI (`oci/<model>`): chat over the inference API's
`/20231130/actions/chat`, each request signed with the tenancy user's API key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.oci.adapter import OCIProvider

__all__ = ["OCIProvider"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name == "OCIProvider":
        from llmrelay.providers.oci.adapter import OCIProvider

        return OCIProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
