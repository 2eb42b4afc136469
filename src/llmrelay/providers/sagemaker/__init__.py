"""AWS SageMaker real-time endpoints: `sagemaker/<endpoint>` (a Hugging Face TGI container's
`{"inputs", "parameters"}` body) and `sagemaker_chat/<endpoint>` (a container's OpenAI-style
Messages API), through InvokeEndpoint and InvokeEndpointWithResponseStream, SigV4-signed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.sagemaker.adapter import SageMakerChatProvider, SageMakerProvider

__all__ = ["SageMakerChatProvider", "SageMakerProvider"]


def __getattr__(name: str) -> Any:
    # the adapters are imported on first use, so that the registry reads the declared parameters
    # (params.py) without them
    if name in __all__:
        from llmrelay.providers.sagemaker import adapter

        return getattr(adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
