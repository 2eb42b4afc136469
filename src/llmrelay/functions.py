"""Module-level SDK functions (`llmrelay.completion(...)` & co.), each served by the default Client.

The call types answered in one piece (`embedding`, `rerank`, `moderation`, `image_generation`,
`speech`... and their async twins) are not written here: they are declared once for every face of
the SDK (router/sdk.py's `OneShotCalls`), and this module hands out the default client's (its
`__getattr__`). For callbacks, private price tables or separate pools, create a `llmrelay.Client`
instead: the default client is only a convenience and holds no callbacks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from llmrelay.calls.served import NOT_SERVED, served_of
from llmrelay.client import default_client
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream
from llmrelay.core.responses_memory import StoredResponses
from llmrelay.core.stream_view import ChatStreamView
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.cost import api as cost_api
from llmrelay.router.sdk import OneShotCalls
from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.responses import Response


def completion(model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | SyncChatStream:
    return default_client().completion(model, messages, **kwargs)


async def acompletion(model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | ChatStream:
    return await default_client().acompletion(model, messages, **kwargs)


def responses(model: str, input: str | list[Any], **kwargs: Any) -> Response | SyncResponsesStream:
    """OpenAI's Responses API over any provider (see Client.aresponses)."""
    return default_client().responses(model, input, **kwargs)


async def aresponses(model: str, input: str | list[Any], **kwargs: Any) -> Response | ResponsesStream:
    return await default_client().aresponses(model, input, **kwargs)


def text_completion(
    model: str, prompt: str | list[Any], **kwargs: Any
) -> TextCompletionResponse | SyncTextStream:
    return default_client().text_completion(model, prompt, **kwargs)


async def atext_completion(
    model: str, prompt: str | list[Any], **kwargs: Any
) -> TextCompletionResponse | TextStream:
    return await default_client().atext_completion(model, prompt, **kwargs)


def completion_cost(completion_response: Any = None, **kwargs: Any) -> float:
    """USD cost of a response, or of `model=` with token counts or prompt/messages/completion text.
    Keywords: model, usage, prompt, messages, completion, prompt_tokens, completion_tokens."""
    return cost_api.completion_cost(
        default_client().catalog, completion_response, recorded_micros=_recorded_cost(completion_response),
        **kwargs,
    )  # fmt: skip


def _recorded_cost(answer: Any) -> int | None:
    """What the answer's Served record says it cost; None for an answer with no record, and for a
    stream, whose record holds no cost (it is known at the end, as `stream.cost_micros`)."""
    served = served_of(answer)
    if served is NOT_SERVED or isinstance(answer, ChatStream | ChatStreamView):
        return None
    return served.cost_micros


def cost_per_token(
    model: str, prompt_tokens: int = 0, completion_tokens: int = 0, **kwargs: Any
) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD. Keywords: cache_read_input_tokens,
    cache_creation_input_tokens, reasoning_tokens, custom_llm_provider."""
    return cost_api.cost_per_token(
        default_client().catalog, model, prompt_tokens, completion_tokens, **kwargs
    )


def register_model(models: dict[str, dict[str, Any]]) -> None:
    """Custom prices (LiteLLM's format) for the default client; a `Client` has its own catalog."""
    cost_api.register_model(default_client().catalog, models)


def get_model_info(model: str, custom_llm_provider: str | None = None) -> dict[str, Any]:
    """A model's prices, context window and capabilities, in LiteLLM's field names."""
    return cost_api.get_model_info(default_client().catalog, model, custom_llm_provider)


# the public methods of OneShotCalls: every call type answered in one piece, async and sync
ONE_SHOT_CALLS = frozenset(name for name in vars(OneShotCalls) if not name.startswith("_"))
# LiteLLM's names for the default client's stored Responses: get_responses, adelete_responses,
# list_input_items...
STORED_RESPONSE_CALLS = frozenset(name for name in vars(StoredResponses) if not name.startswith("_"))
DEFAULT_CLIENT_CALLS = ONE_SHOT_CALLS | STORED_RESPONSE_CALLS
# LiteLLM's files and batches functions (sdk/files.py), async and sync: the default client's
FILE_CALLS = frozenset(
    prefix + name
    for name in ("create_file", "file_retrieve", "file_list", "file_content", "file_delete",
                 "create_batch", "retrieve_batch", "list_batches", "cancel_batch")
    for prefix in ("", "a")
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """`llmrelay.functions.speech` & co.: a function calling the default client's method (the
    client is made on the first call, not here)."""
    if name in FILE_CALLS:
        function = _files_of_default_client(name)
    elif name in DEFAULT_CLIENT_CALLS:
        function = _on_default_client(name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = function  # later accesses skip __getattr__
    return function


def _on_default_client(name: str) -> Callable[..., Any]:
    method = getattr(OneShotCalls if name in ONE_SHOT_CALLS else StoredResponses, name)
    function: Callable[..., Any]
    if inspect.iscoroutinefunction(method):

        async def function(*args: Any, **kwargs: Any) -> Any:
            return await getattr(default_client(), name)(*args, **kwargs)

    else:

        def function(*args: Any, **kwargs: Any) -> Any:
            return getattr(default_client(), name)(*args, **kwargs)

    functools.update_wrapper(function, method)
    # the method's signature without `self`, for help() and IDEs
    signature = inspect.signature(method)
    function.__signature__ = signature.replace(  # type: ignore[union-attr]
        parameters=list(signature.parameters.values())[1:]
    )
    function.__module__ = __name__
    return function


def _files_of_default_client(name: str) -> Callable[..., Any]:
    from llmrelay.sdk.files import FileCalls

    method = getattr(FileCalls, name)
    function: Callable[..., Any]
    if inspect.iscoroutinefunction(method):

        async def function(*args: Any, **kwargs: Any) -> Any:
            return await getattr(default_client().files, name)(*args, **kwargs)

    else:

        def function(*args: Any, **kwargs: Any) -> Any:
            return getattr(default_client().files, name)(*args, **kwargs)

    functools.update_wrapper(function, method)
    function.__module__ = __name__
    return function
