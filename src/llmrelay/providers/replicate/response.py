"""A finished prediction as a chat completion, and what a running one still needs (a poll)."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.providers.replicate.errors import prediction_failed
from llmrelay.providers.replicate.models import PROVIDER
from llmrelay.providers.replicate.wire import TERMINAL, Prediction, prediction_decoder
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage


def decode_prediction(body: bytes) -> Prediction:
    try:
        return prediction_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(f"malformed prediction from Replicate: {exc}", provider=PROVIDER) from exc


def is_running(prediction: Prediction) -> bool:
    return prediction.status not in TERMINAL


def output_text(output: list[Any] | str | None) -> str:
    """Language models answer a list of text pieces (tokens) to join; some one string."""
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    return "".join(piece if isinstance(piece, str) else str(piece) for piece in output)


def to_chat_response(
    prediction: Prediction, model: str, prompt: str, cap: int | None
) -> tuple[ChatResponse, bool]:
    """(the response, whether its usage was estimated rather than reported)."""
    if prediction.status != "succeeded":
        raise prediction_failed(prediction.status, prediction.error, model)
    text = output_text(prediction.output)
    usage, estimated = usage_of(prediction, model, prompt, text)
    finish = "length" if cap is not None and usage.completion_tokens >= cap else "stop"
    response = ChatResponse(
        id=prediction.id,
        created=int(time.time()),
        model=model,
        choices=[Choice(index=0, message=ResponseMessage(content=text), finish_reason=finish)],
        usage=usage,
    )
    return response, estimated


def usage_of(prediction: Prediction | None, model: str, prompt: str, text: str) -> tuple[Usage, bool]:
    """Replicate's token counts (`metrics.input_token_count` / `output_token_count`) when the model
    reports them; else counted from the prompt and the answer with llmrelay's tokenizer."""
    metrics = prediction.metrics if prediction is not None else None
    reported_in = metrics.input_token_count if metrics is not None else None
    reported_out = metrics.output_token_count if metrics is not None else None
    prompt_tokens = reported_in if reported_in is not None else count_text(prompt, model)
    completion_tokens = reported_out if reported_out is not None else count_text(text, model)
    estimated = reported_in is None or reported_out is None
    usage = Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )
    return usage, estimated
