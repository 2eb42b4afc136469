"""Ollama's answers → OpenAI-shaped responses (and the pieces the stream decoder shares).

Usage is Ollama's token counts: `prompt_eval_count` (absent when the whole prompt came from its
cache: then 0) and `eval_count`. Ollama gives no id; the adapter makes one up, as for Cohere.
"""

from __future__ import annotations

import time
import uuid

import msgspec

from llmrelay.providers.ollama.wire import AnswerWire, ToolCallWire, answer_decoder, encoder
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

# Ollama's done_reason → OpenAI's finish_reason ("load"/"unload" answer an empty request: "stop")
_FINISH_REASONS = {"stop": "stop", "length": "length"}


def decode_answer(body: bytes, provider: str, model: str) -> AnswerWire:
    try:
        return answer_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed response from Ollama: {exc}", provider=provider, model=model
        ) from exc


def finish_reason(raw: str | None, has_tool_calls: bool) -> str:
    if has_tool_calls:
        return "tool_calls"
    return _FINISH_REASONS.get(raw or "", "stop")


def to_usage(answer: AnswerWire) -> Usage:
    prompt = answer.prompt_eval_count or 0
    completion = answer.eval_count or 0
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def tool_call(call: ToolCallWire, index: int) -> ToolCall:
    return ToolCall(
        id=call.id or f"call_{index}",
        function=FunctionCall(
            name=call.function.name, arguments=encoder.encode(call.function.arguments).decode()
        ),
    )


def to_chat_response(answer: AnswerWire, model: str) -> ChatResponse:
    """An /api/chat answer (`message`) or an /api/generate one (`response`, `thinking`)."""
    message = answer.message
    if message is not None:
        text, thinking = message.content, message.thinking
        calls = [tool_call(c, i) for i, c in enumerate(message.tool_calls or ())]
    else:
        text, thinking, calls = answer.response or "", answer.thinking, []
    choice = Choice(
        index=0,
        message=ResponseMessage(
            content=text if text or not calls else None,
            tool_calls=calls or None,
            reasoning_content=thinking or None,
        ),
        finish_reason=finish_reason(answer.done_reason, bool(calls)),
    )
    return ChatResponse(
        id=new_id(), created=int(time.time()), model=model, choices=[choice], usage=to_usage(answer)
    )
