"""Local Hugging Face models, run in this process (sans-IO, as every adapter).

`huggingface_local/<folder-or-model-id>` (or any name, with `model_path`): chat and text completions
through transformers' generation, embeddings through sentence-transformers. The adapter prepares
typed bodies (llmrelay.local.wire) at `in-process://` URLs, which the transport hands to the
in-process model server (llmrelay.local) instead of the network; the answers come back in OpenAI's
wire format, so they are parsed and streamed by the OpenAI adapter's code. Only what a local
generation honours is taken — max_tokens, temperature, top_p, stop, seed (and n=1); any other
parameter, tools, non-text content and extra_body are refused by name. Cost is 0: the catalog
prices no local model."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.local.wire import (
    CHAT_PATH,
    COMPLETIONS_PATH,
    EMBEDDINGS_PATH,
    LOCAL_HF_BASE,
    ChatBody,
    CompletionBody,
    EmbeddingBody,
    LocalMessage,
    ModelPlace,
    Sampling,
)
from llmrelay.providers.base import Codec
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.huggingface_local.params import (
    CONCURRENCY,
    HUGGINGFACE_LOCAL_PARAMS,
    MODEL_PATH,
    QUEUE,
)
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.chat import ChatRequest, Message, TextPart
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError
from llmrelay.types.http import HttpRequest

NAME = "huggingface_local"
LOCAL_CHAT_PARAMS = frozenset(
    {"temperature", "top_p", "stop", "max_tokens", "max_completion_tokens", "seed", "n"}
)
# TextCompletionRequest fields a local completion cannot honour (beyond n above 1)
_TEXT_UNSUPPORTED = ("logprobs", "echo", "presence_penalty", "frequency_penalty", "logit_bias", "suffix")
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_encoder = msgspec.json.Encoder()
_HEADERS = {"content-type": "application/json"}


class HuggingFaceLocalProvider(OpenAICompatible):
    deployment_params = HUGGINGFACE_LOCAL_PARAMS

    def __init__(self) -> None:
        super().__init__(CompatSpec(name=NAME, requires_api_key=False, text_completions=True))
        self.supported_params = LOCAL_CHAT_PARAMS

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "text_completion": Codec(self.prepare_text_completion, self.parse_text_completion),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
        }

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        if request.n == 1:  # the one answer a local generation gives
            request = msgspec.structs.replace(request, n=None)
        return super().check_params(request, drop)

    # ---- requests
    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        _refuse_extra_body(request.extra_body)
        if request.n is not None and request.n != 1:
            raise _unsupported("n", request.model)
        body = ChatBody(
            model=deployment.model,
            place=_place(deployment),
            messages=[_message(m, i) for i, m in enumerate(request.messages)],
            sampling=_sampling(request.max_output_tokens(), request.temperature, request.top_p,
                               request.stop, request.seed),
            stream=bool(request.stream),
            include_usage=bool(request.stream),  # always: every stream is priced; the client strips it
        )  # fmt: skip
        return _request(CHAT_PATH, body, bool(request.stream))

    def prepare_text_completion(self, request: TextCompletionRequest, deployment: Deployment) -> HttpRequest:
        _refuse_extra_body(request.extra_body)
        for field in _TEXT_UNSUPPORTED:
            # a false or zero value (echo=false, a 0 penalty) asks for nothing to honour
            if getattr(request, field) not in (None, False):
                raise _unsupported(field, request.model)
        for field in ("n", "best_of"):
            if getattr(request, field) not in (None, 1):
                raise _unsupported(field, request.model)
        body = CompletionBody(
            model=deployment.model,
            place=_place(deployment),
            prompt=_one_prompt(request.prompt),
            sampling=_sampling(
                request.max_tokens, request.temperature, request.top_p, request.stop, request.seed
            ),
            stream=bool(request.stream),
            include_usage=bool(request.stream),
        )
        return _request(COMPLETIONS_PATH, body, bool(request.stream))

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        _refuse_extra_body(request.extra_body)
        for field in ("dimensions", "task_type"):
            if getattr(request, field) is not None:
                raise _unsupported(field, request.model)
        if request.encoding_format not in (None, "float", "base64"):
            raise BadRequestError(
                f"encoding_format must be 'float' or 'base64', not {request.encoding_format!r}",
                provider=NAME,
                param="encoding_format",
            )
        texts = [request.input] if isinstance(request.input, str) else request.input
        if not all(isinstance(t, str) for t in texts):
            raise BadRequestError(
                "a local model embeds text: token-id input is not supported", provider=NAME, param="input"
            )
        body = EmbeddingBody(
            model=deployment.model,
            place=_place(deployment),
            input=[t for t in texts if isinstance(t, str)],
            base64=request.encoding_format == "base64",
        )
        return _request(EMBEDDINGS_PATH, body, False)


def _request(path: str, body: msgspec.Struct, stream: bool) -> HttpRequest:
    return HttpRequest(
        url=LOCAL_HF_BASE + path, headers=dict(_HEADERS), body=_encoder.encode(body), stream=stream
    )


def _place(deployment: Deployment) -> ModelPlace:
    """The model's folder (or cached model id) and its concurrency bounds, from the deployment."""
    if deployment.api_base:
        raise BadRequestError(
            f"{NAME} runs models in this process: give the model's folder as `{MODEL_PATH}` (or in the "
            "model string), not api_base",
            provider=NAME,
            param="api_base",
        )
    options = deployment.options or {}
    path = options.get(MODEL_PATH) or deployment.model
    if not isinstance(path, str) or not path:
        raise BadRequestError(f"`{MODEL_PATH}` must be a folder's path", provider=NAME, param=MODEL_PATH)
    return ModelPlace(
        path=path,
        concurrency=_count(options, CONCURRENCY, 1, 1),
        queue=_count(options, QUEUE, 8, 0),
    )


def _count(options: dict[str, Any], name: str, default: int, least: int) -> int:
    value = options.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = least - 1
    if number < least or isinstance(value, bool | float):
        raise BadRequestError(
            f"`{name}` must be a whole number >= {least}, not {value!r}", provider=NAME, param=name
        )
    return number


def _sampling(
    max_tokens: int | None, temperature: float | None, top_p: float | None, stop: str | list[str] | None,
    seed: int | None,
) -> Sampling:  # fmt: skip
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    return Sampling(max_tokens=max_tokens, temperature=temperature, top_p=top_p, stop=stops, seed=seed)


def _message(message: Message, index: int) -> LocalMessage:
    role = _ROLES.get(message.role)
    where = f"messages[{index}]"
    if role is None or message.tool_calls:
        raise BadRequestError(
            f"{where}: a local model is given no tools, so it takes no {message.role!r} turns or tool calls",
            provider=NAME,
            param="messages",
        )
    content = message.content
    if isinstance(content, list) and not all(isinstance(p, TextPart) for p in content):
        raise BadRequestError(
            f"{where}: a local model reads text parts only", provider=NAME, param="messages"
        )
    return LocalMessage(role, message.text())


def _one_prompt(prompt: str | list[Any]) -> str:
    if isinstance(prompt, str):
        return prompt
    if len(prompt) == 1 and isinstance(prompt[0], str):
        return prompt[0]
    raise BadRequestError(
        "a local completion takes one text prompt (not several, nor token ids)", provider=NAME, param="prompt"
    )


def _refuse_extra_body(extra_body: dict[str, Any] | None) -> None:
    if extra_body:
        raise BadRequestError(
            f"{NAME} takes no provider-specific fields: extra_body ({', '.join(sorted(extra_body))}) "
            "has no meaning for a local model",
            provider=NAME,
            param="extra_body",
        )


def _unsupported(field: str, model: str) -> UnsupportedParamsError:
    return UnsupportedParamsError(
        f"provider {NAME!r} does not support parameter(s) {field}", provider=NAME, model=model, param=field
    )
