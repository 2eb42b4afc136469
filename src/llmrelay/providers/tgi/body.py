"""The body of a Hugging Face TGI container (behind `sagemaker/<endpoint>`, LiteLLM's default SageMaker
route): `{"inputs": prompt, "parameters": {...}, "stream": bool}`, answered by
`[{"generated_text": ...}]` (or `{"generated_text"}`, or `{"generation"}` as some JumpStart models
answer).

The prompt is the messages' text joined by spaces, as LiteLLM sends it to a model it has no chat
template for; a chat model is better served by `sagemaker_chat/` (the container applies its own
template). Parameters: max_tokens → max_new_tokens, temperature, top_p, stop, seed; temperature 0
(greedy, which TGI refuses as a temperature) becomes `do_sample: false`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

TGI_PARAMS = frozenset({"temperature", "top_p", "stop", "max_tokens", "max_completion_tokens", "seed"})
# TGI's finish reasons → OpenAI's
FINISH_REASONS = {"length": "length", "eos_token": "stop", "stop_sequence": "stop"}


class TgiToken(msgspec.Struct):
    text: str = ""
    special: bool = False


class TgiDetails(msgspec.Struct):
    finish_reason: str = ""
    generated_tokens: int | None = None


class TgiStreamEvent(msgspec.Struct):
    token: TgiToken | None = None
    generated_text: str | None = None
    details: TgiDetails | None = None
    error: str | None = None


class TgiAnswer(msgspec.Struct):
    generated_text: str | None = None
    generation: str | None = None
    details: TgiDetails | None = None


_answers = msgspec.json.Decoder(list[TgiAnswer] | TgiAnswer)


def prompt_of(request: ChatRequest, provider: str) -> str:
    parts: list[str] = []
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            parts.append(content)
            continue
        for part in content or []:
            text = getattr(part, "text", None)
            if not isinstance(text, str):
                raise BadRequestError(
                    f"{provider} sends a text prompt: message parts other than text are not supported",
                    provider=provider,
                    model=request.model,
                    param="messages",
                )
            parts.append(text)
    if not parts:
        raise BadRequestError("no text to send", provider=provider, model=request.model, param="messages")
    return " ".join(parts)


def tgi_body(request: ChatRequest, provider: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    limit = request.max_output_tokens()
    if limit is not None:
        parameters["max_new_tokens"] = max(1, limit)
    if request.temperature is not None:
        if request.temperature == 0:
            parameters["do_sample"] = False
        else:
            parameters["temperature"] = request.temperature
    if request.top_p is not None:
        parameters["top_p"] = request.top_p
    if request.stop:
        parameters["stop"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    if request.seed is not None:
        parameters["seed"] = request.seed
    body: dict[str, Any] = {"inputs": prompt_of(request, provider), "parameters": parameters}
    if request.stream:
        body["stream"] = True
    if request.extra_body:
        body["parameters"].update(request.extra_body)
    return body


def parse_tgi(body: bytes, request: ChatRequest, provider: str, model: str) -> ChatResponse:
    try:
        decoded = _answers.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(f"malformed response from SageMaker: {exc}", provider=provider) from exc
    answer = decoded[0] if isinstance(decoded, list) and decoded else decoded
    if not isinstance(answer, TgiAnswer) or (answer.generated_text is None and answer.generation is None):
        raise InternalServerError("SageMaker answered no generated_text", provider=provider)
    text = answer.generated_text if answer.generated_text is not None else answer.generation or ""
    prompt = count_text(prompt_of(request, provider))
    details = answer.details
    completion = (
        details.generated_tokens if details and details.generated_tokens is not None else count_text(text)
    )
    reason = FINISH_REASONS.get(details.finish_reason if details else "", "stop")
    created = int(time.time())
    return ChatResponse(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=created,
        model=model,
        choices=[
            Choice(index=0, message=ResponseMessage(role="assistant", content=text), finish_reason=reason)
        ],
        usage=Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion),
    )
