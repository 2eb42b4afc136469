"""Gemini GenerateContentResponse → OpenAI-shaped ChatResponse (and the pieces the stream reuses)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec

from llmrelay.providers.gemini.tool_ids import make_tool_call_id, tool_call_scope
from llmrelay.providers.gemini.wire import (
    CandidateWire,
    GenerateContentResponse,
    LogprobsResult,
    PartWire,
    UsageMetadata,
)
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.errors import ContentPolicyViolationError
from llmrelay.types.response import (
    ChatResponse,
    Choice,
    CompletionTokensDetails,
    PromptTokensDetails,
    ResponseMessage,
    Usage,
)

# Gemini finishReason → OpenAI finish_reason. Safety-type stops are content filters; reasons with no
# OpenAI counterpart (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...) read as "stop" and the raw value
# stays in the response's hidden params (`provider_finish_reasons`).
_FILTERED = frozenset(
    {
        "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
    }
)  # fmt: skip

_encoder = msgspec.json.Encoder()


def finish_reason(raw: str | None, has_tool_calls: bool) -> str | None:
    if raw is None or raw == "FINISH_REASON_UNSPECIFIED":
        return None
    if raw == "MAX_TOKENS":
        return "length"
    if raw in _FILTERED:
        return "content_filter"
    return "tool_calls" if has_tool_calls else "stop"


def check_prompt_blocked(response: GenerateContentResponse, model: str | None) -> None:
    """A prompt Gemini refused comes back as 200 with promptFeedback.blockReason and no candidates."""
    feedback = response.prompt_feedback
    if feedback is None or not feedback.block_reason or response.candidates:
        return
    detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
    raise ContentPolicyViolationError(
        f"Gemini blocked the prompt (blockReason {feedback.block_reason}){detail}",
        provider="gemini",
        model=model,
        code=feedback.block_reason,
        body={"promptFeedback": msgspec.to_builtins(feedback)},
    )


@dataclass
class PartsView:
    """One candidate's parts sorted into what the OpenAI shape has room for."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)


def read_parts(parts: list[PartWire], first_call_index: int, scope: str) -> PartsView:
    """Text, thoughts and function calls of a candidate; tool calls are numbered from
    `first_call_index` (a stream numbers them across its events), their ids made unique to the
    response by `scope` (tool_ids.tool_call_scope)."""
    view = PartsView()
    for part in parts:
        if part.function_call is not None:
            call = part.function_call
            index = first_call_index + len(view.tool_calls)
            view.tool_calls.append(
                ToolCall(
                    id=make_tool_call_id(index, part.thought_signature, call.id, scope),
                    function=FunctionCall(
                        name=call.name, arguments=_encoder.encode(call.args or {}).decode()
                    ),
                )
            )
        elif part.text is not None:
            (view.reasoning if part.thought else view.text).append(part.text)
    return view


def to_usage(meta: UsageMetadata) -> Usage:
    # tool-use prompt tokens (e.g. fetched search results) are billed as input; thoughts as output
    prompt = meta.prompt_token_count + meta.tool_use_prompt_token_count
    completion = meta.candidates_token_count + meta.thoughts_token_count
    audio = sum(d.token_count for d in meta.prompt_tokens_details or () if d.modality == "AUDIO")
    prompt_details = None
    if meta.cached_content_token_count or audio:
        prompt_details = PromptTokensDetails(
            cached_tokens=meta.cached_content_token_count or None, audio_tokens=audio or None
        )
    completion_details = None
    if meta.thoughts_token_count:
        completion_details = CompletionTokensDetails(reasoning_tokens=meta.thoughts_token_count)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        # OpenAI's invariant (total = prompt + completion) rather than totalTokenCount, which some
        # responses omit; the two agree whenever Gemini reports every component
        total_tokens=prompt + completion,
        prompt_tokens_details=prompt_details,
        completion_tokens_details=completion_details,
    )


def to_logprobs(result: LogprobsResult | None) -> dict[str, Any] | None:
    """Gemini's logprobsResult → OpenAI's {"content": [{token, logprob, top_logprobs}]}."""
    if result is None or not result.chosen_candidates:
        return None
    content = []
    for position, chosen in enumerate(result.chosen_candidates):
        tops = result.top_candidates[position].candidates if position < len(result.top_candidates) else []
        content.append(
            {
                "token": chosen.token,
                "logprob": chosen.log_probability,
                "bytes": list(chosen.token.encode()),
                "top_logprobs": [
                    {"token": t.token, "logprob": t.log_probability, "bytes": list(t.token.encode())}
                    for t in tops
                ],
            }
        )
    return {"content": content}


def candidate_index(candidate: CandidateWire, position: int) -> int:
    return candidate.index if candidate.index is not None else position


def response_id(response_id: str | None) -> str:
    return f"chatcmpl-{response_id}" if response_id else f"chatcmpl-{uuid.uuid4().hex}"


def to_chat_response(response: GenerateContentResponse, model: str) -> ChatResponse:
    check_prompt_blocked(response, model)
    choices = []
    scope = tool_call_scope(response.response_id)
    for position, candidate in enumerate(response.candidates):
        view = read_parts(candidate.content.parts if candidate.content else [], 0, scope)
        message = ResponseMessage(
            # no text part at all (a filtered candidate, a call-only turn) reads as null, like OpenAI
            content="".join(view.text) if view.text else None,
            tool_calls=view.tool_calls or None,
            reasoning_content="".join(view.reasoning) or None,
        )
        choices.append(
            Choice(
                index=candidate_index(candidate, position),
                message=message,
                finish_reason=finish_reason(candidate.finish_reason, bool(view.tool_calls)) or "stop",
                logprobs=to_logprobs(candidate.logprobs_result),
            )
        )
    usage = to_usage(response.usage_metadata) if response.usage_metadata else Usage()
    return ChatResponse(
        id=response_id(response.response_id),
        created=int(time.time()),
        model=response.model_version or model,
        choices=choices,
        usage=usage,
    )


def provider_details(response: GenerateContentResponse) -> dict[str, Any]:
    """Gemini facts with no OpenAI field, for the response's hidden params."""
    return {
        "provider_finish_reasons": [c.finish_reason for c in response.candidates],
        "safety_ratings": [c.safety_ratings for c in response.candidates],
    }
