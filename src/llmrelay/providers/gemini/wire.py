"""The Gemini API's response bodies as msgspec Structs (camelCase on the wire).

Only the fields the adapter reads are declared; msgspec ignores the rest, so new fields Google adds
never break decoding. Field names follow the v1beta REST reference: GenerateContentResponse,
Candidate, Content/Part, UsageMetadata, PromptFeedback, embedContent / batchEmbedContents responses
and the google.rpc.Status error envelope.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Wire(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class StatusDetail(msgspec.Struct, omit_defaults=True):
    """One entry of google.rpc.Status.details; which fields are set depends on its @type."""

    type: str = msgspec.field(default="", name="@type")
    reason: str | None = None
    retry_delay: str | None = msgspec.field(default=None, name="retryDelay")


class RpcStatus(_Wire):
    code: int = 0
    message: str = ""
    status: str = ""
    details: list[StatusDetail] = msgspec.field(default_factory=list)


class FunctionCallWire(_Wire):
    name: str = ""
    args: dict[str, Any] | None = None
    # set by newer models; when present it is the call's id and must be echoed back
    id: str | None = None


class PartWire(_Wire):
    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    function_call: FunctionCallWire | None = None
    inline_data: dict[str, Any] | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None


class ContentWire(_Wire):
    parts: list[PartWire] = msgspec.field(default_factory=list)
    role: str | None = None


class LogprobCandidate(_Wire):
    token: str = ""
    log_probability: float = 0.0


class TopCandidates(_Wire):
    candidates: list[LogprobCandidate] = msgspec.field(default_factory=list)


class LogprobsResult(_Wire):
    top_candidates: list[TopCandidates] = msgspec.field(default_factory=list)
    chosen_candidates: list[LogprobCandidate] = msgspec.field(default_factory=list)


class CandidateWire(_Wire):
    content: ContentWire | None = None
    finish_reason: str | None = None
    # proto3 JSON omits index 0, so a missing index means the first candidate
    index: int | None = None
    safety_ratings: list[dict[str, Any]] | None = None
    finish_message: str | None = None
    logprobs_result: LogprobsResult | None = None


class PromptFeedback(_Wire):
    block_reason: str | None = None
    block_reason_message: str | None = None
    safety_ratings: list[dict[str, Any]] | None = None


class ModalityTokenCount(_Wire):
    modality: str = ""
    token_count: int = 0


class UsageMetadata(_Wire):
    prompt_token_count: int = 0
    cached_content_token_count: int = 0
    candidates_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    thoughts_token_count: int = 0
    total_token_count: int = 0
    prompt_tokens_details: list[ModalityTokenCount] | None = None


class GenerateContentResponse(_Wire):
    candidates: list[CandidateWire] = msgspec.field(default_factory=list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    # a stream that fails after it started sends the google.rpc.Status as an event
    error: RpcStatus | None = None


class ContentEmbedding(_Wire):
    values: list[float] = msgspec.field(default_factory=list)


class EmbedContentResponse(_Wire):
    embedding: ContentEmbedding


class BatchEmbedContentsResponse(_Wire):
    embeddings: list[ContentEmbedding] = msgspec.field(default_factory=list)


class ErrorEnvelope(_Wire):
    error: RpcStatus


response_decoder = msgspec.json.Decoder(GenerateContentResponse)
embed_decoder = msgspec.json.Decoder(EmbedContentResponse)
batch_embed_decoder = msgspec.json.Decoder(BatchEmbedContentsResponse)
# an error may arrive as one envelope or, from some streaming paths, as a one-element array
error_decoder = msgspec.json.Decoder(ErrorEnvelope | list[ErrorEnvelope])
