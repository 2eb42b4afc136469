"""The OpenAI Responses dialect for the gateway and the SDK: inbound requests → ChatRequest,
ChatResponse → Response, ChatChunks → Responses stream events. Pure functions, no I/O."""

from llmrelay.wire.responses.events import encode_events, failure_code
from llmrelay.wire.responses.request import decode_request, parse_responses_request, to_chat_request
from llmrelay.wire.responses.response import encode_response, encode_response_bytes
from llmrelay.wire.responses.schema import ResponsesRequest
from llmrelay.wire.responses.stream import ResponsesStreamEncoder

__all__ = [
    "ResponsesRequest",
    "ResponsesStreamEncoder",
    "decode_request",
    "encode_events",
    "encode_response",
    "encode_response_bytes",
    "failure_code",
    "parse_responses_request",
    "to_chat_request",
]
