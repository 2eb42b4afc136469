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
    "text_completion": "llmrelay.functions",
    "atext_completion": "llmrelay.functions",
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


def __getattr__(name: str) -> Any:
    if name == "__all__":
        value: Any = sorted({*_EXPORTS, "__version__", *_derived_names()})
    else:
        module_name = _EXPORTS.get(name)
        if module_name is None:
            value = _derived(name)
        else:
            module = importlib.import_module(module_name)
            value = module if name == "exceptions" else getattr(module, name)
    globals()[name] = value  # cache: later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return list(__getattr__("__all__"))


# Not listed above, derived on first use (so a new call type adds no line here): the SDK calls
# answered in one piece (llmrelay.functions.ONE_SHOT_CALLS: `speech`, `aspeech`...), the stored
# Responses' (STORED_RESPONSE_CALLS: `get_responses`, `list_input_items`...), the files and batches
# functions (FILE_CALLS: `create_file`, `aretrieve_batch`...) and the
# response type of every call type (`SpeechResponse`...), from the operation table.
def _derived_names() -> set[str]:
    functions = importlib.import_module("llmrelay.functions")
    operation = importlib.import_module("llmrelay.calls.operation")
    responses = {op.response_type.__name__ for op in operation.OPERATIONS}
    return {*functions.DEFAULT_CLIENT_CALLS, *functions.FILE_CALLS, *responses}


def _derived(name: str) -> Any:
    if name.startswith("_"):  # a probe (`__wrapped__`, `__test__`...): nothing to load for it
        raise AttributeError(f"module 'llmrelay' has no attribute {name!r}")
    functions = importlib.import_module("llmrelay.functions")
    if name in functions.DEFAULT_CLIENT_CALLS or name in functions.FILE_CALLS:
        return getattr(functions, name)
    operation = importlib.import_module("llmrelay.calls.operation")
    for op in operation.OPERATIONS:
        if op.response_type.__name__ == name:
            return op.response_type
    raise AttributeError(f"module 'llmrelay' has no attribute {name!r}")


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
        aresponses,
        atext_completion,
        completion,
        completion_cost,
        cost_per_token,
        get_model_info,
        register_model,
        responses,
        text_completion,
    )
    from llmrelay.router import Router
    from llmrelay.types.embedding import EmbeddingResponse
    from llmrelay.types.errors import *
    from llmrelay.types.response import ChatChunk, ChatResponse, Usage
    from llmrelay.types.responses import Response
