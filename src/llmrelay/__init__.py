"""llmrelay: one call shape for every LLM provider, and a gateway that speaks it.

Importing this package does no work: names are resolved on first access."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llmrelay.version import __version__

_EXPORTS: dict[str, str] = {
    # SDK functions
    "completion": "llmrelay.functions",
    "acompletion": "llmrelay.functions",
    "responses": "llmrelay.functions",
    "aresponses": "llmrelay.functions",
    "embedding": "llmrelay.functions",
    "aembedding": "llmrelay.functions",
    "text_completion": "llmrelay.functions",
    "atext_completion": "llmrelay.functions",
    "rerank": "llmrelay.functions",
    "arerank": "llmrelay.functions",
    "moderation": "llmrelay.functions",
    "amoderation": "llmrelay.functions",
    "image_generation": "llmrelay.functions",
    "aimage_generation": "llmrelay.functions",
    "speech": "llmrelay.functions",
    "aspeech": "llmrelay.functions",
    "completion_cost": "llmrelay.functions",
    "cost_per_token": "llmrelay.functions",
    "register_model": "llmrelay.functions",
    "get_model_info": "llmrelay.functions",
    "token_counter": "llmrelay.cost.tokens",
    "stream_chunk_builder": "llmrelay.core.assemble",
    # objects
    "Client": "llmrelay.client",
    "Router": "llmrelay.router",
    "Callback": "llmrelay.events.callbacks",
    "CallRecord": "llmrelay.events.record",
    "ChatResponse": "llmrelay.types.response",
    "ChatChunk": "llmrelay.types.response",
    "EmbeddingResponse": "llmrelay.types.embedding",
    "Response": "llmrelay.types.responses",
    "ResponsesStream": "llmrelay.core.responses_api",
    "RerankResponse": "llmrelay.types.rerank",
    "ModerationResponse": "llmrelay.types.moderation",
    "ImageResponse": "llmrelay.types.image",
    "SpeechResponse": "llmrelay.types.speech",
    "Usage": "llmrelay.types.response",
    "ChatStream": "llmrelay.core.streaming",
    "TextStream": "llmrelay.core.text_stream",
    "exceptions": "llmrelay.exceptions",
}
_ERRORS = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "BudgetExceededError",
    "ContentPolicyViolationError",
    "ContextWindowExceededError",
    "InternalServerError",
    "LLMError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "ServiceUnavailableError",
    "StreamClosedEarly",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedParamsError",
]
_EXPORTS.update(dict.fromkeys(_ERRORS, "llmrelay.types.errors"))

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'llmrelay' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name == "exceptions" else getattr(module, name)
    globals()[name] = value  # cache: later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from llmrelay import exceptions
    from llmrelay.client import Client
    from llmrelay.core.assemble import stream_chunk_builder
    from llmrelay.core.responses_api import ResponsesStream
    from llmrelay.core.streaming import ChatStream
    from llmrelay.core.text_stream import TextStream
    from llmrelay.cost.tokens import token_counter
    from llmrelay.events.callbacks import Callback
    from llmrelay.events.record import CallRecord
    from llmrelay.functions import (
        acompletion,
        aembedding,
        aimage_generation,
        amoderation,
        arerank,
        aresponses,
        aspeech,
        atext_completion,
        completion,
        completion_cost,
        cost_per_token,
        embedding,
        get_model_info,
        image_generation,
        moderation,
        register_model,
        rerank,
        responses,
        speech,
        text_completion,
    )
    from llmrelay.router import Router
    from llmrelay.types.embedding import EmbeddingResponse
    from llmrelay.types.errors import *
    from llmrelay.types.image import ImageResponse
    from llmrelay.types.moderation import ModerationResponse
    from llmrelay.types.rerank import RerankResponse
    from llmrelay.types.response import ChatChunk, ChatResponse, Usage
    from llmrelay.types.responses import Response
    from llmrelay.types.speech import SpeechResponse
