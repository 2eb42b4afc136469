"""A simulator of SageMaker Runtime real-time endpoints: InvokeEndpoint (`POST
/endpoints/{name}/invocations`) and InvokeEndpointWithResponseStream (`.../invocations-response-stream`,
the binary `application/vnd.amazon.eventstream` whose `PayloadPart` events carry the container's own
bytes, cut at arbitrary places as containers flush them).

Behind every endpoint sits a container that reads its body as what it is: `{"inputs", "parameters"}`
a Hugging Face TGI container answers `[{"generated_text"}]` (its stream: TGI's generate_stream SSE);
`{"messages", ...}` a Messages API container answers OpenAI's chat completion (its stream: OpenAI's
chunks as SSE, ending with [DONE]). Requests must be SigV4-signed for the signing name `sagemaker`
(by keys in `aws_keys`); errors carry `x-amzn-ErrorType` and `{"message"}`; an error a container
raises is SageMaker's `ModelError` (424) naming the container's status and message.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from llmrelay.testing import content as c
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
)
from llmrelay.testing.base import encode_json as _json
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from llmrelay.testing.bedrock_wire import event, exception, verify_sigv4

__all__ = ["ACCESS_KEY_ID", "REGION", "SECRET_ACCESS_KEY", "SageMakerSimulator"]

_ERROR_TYPES = {
    400: "ValidationError", 403: "AccessDeniedException", 404: "ValidationError",
    424: "ModelError", 429: "ThrottlingException", 500: "InternalFailure", 503: "ServiceUnavailable",
}  # fmt: skip
# how many bytes each PayloadPart carries: small, so SSE lines span parts
_PART_BYTES = 23


class SageMakerSimulator(ProviderSimulator):
    kind = "sagemaker"
    api_base_path = ""  # api_base is the runtime endpoint's root
    stream_content_type = "application/vnd.amazon.eventstream"

    def __init__(self, *, aws_keys: dict[str, str] | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self.aws_keys = dict(aws_keys) if aws_keys is not None else {ACCESS_KEY_ID: SECRET_ACCESS_KEY}

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/endpoints/{name}/{operation}", self.invoke)]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"message": message}

    def _error_response(self, error: ProviderError, retry_after: float | None = None) -> web.Response:
        response = super()._error_response(error, retry_after)
        response.headers["x-amzn-ErrorType"] = str(
            error.detail.get("error_type") or _ERROR_TYPES.get(error.status, "InternalFailure")
        )
        return response

    def stream_error_event(self, status: int, message: str) -> bytes:
        return exception("ModelStreamError", _json({"Message": message, "ErrorCode": "ModelStreamError"}))

    def broken_event(self) -> bytes:
        whole = event("PayloadPart", b"data: broken\n\n")
        return whole[:-4] + bytes(4)  # a wrong message CRC

    def check_auth(self, call: Call) -> ProviderError | None:
        url = f"http://{call.headers.get('host', '')}{call.raw_path}"
        failure = verify_sigv4(
            call.method, url, call.headers, call.raw_body, self.aws_keys, service="sagemaker"
        )
        if failure is None:
            return None
        return ProviderError(403, failure.message, error_type=failure.error_type)

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        message = (
            'Received client error (400) from primary with message "Input validation error: inputs tokens '
            '+ `max_new_tokens` must be <= 4096"'
        )
        return ProviderError(424, message, error_type="ModelError")

    # ---- the endpoint
    async def invoke(self, call: Call) -> Reply:
        operation, name = call.match["operation"], call.match["name"]
        if operation not in ("invocations", "invocations-response-stream"):
            raise ProviderError(404, f"Unknown operation {operation}", error_type="UnknownOperationException")
        if name.startswith("missing"):
            raise ProviderError(400, f"Endpoint {name} of account 123456789012 not found.")
        body = call.body
        stream = operation == "invocations-response-stream"
        if isinstance(body, dict) and isinstance(body.get("messages"), list):
            return self._messages_api(name, body, call, stream)
        if isinstance(body, dict) and isinstance(body.get("inputs"), str):
            return self._tgi(body, call, stream)
        message = (
            'Received client error (422) from primary with message "Failed to deserialize the JSON body"'
        )
        raise ProviderError(424, message, error_type="ModelError")

    def _stream(self, container_bytes: bytes) -> StreamReply:
        parts = [container_bytes[i : i + _PART_BYTES] for i in range(0, len(container_bytes), _PART_BYTES)]
        return StreamReply([event("PayloadPart", part) for part in parts])

    def _tgi(self, body: dict[str, Any], call: Call, stream: bool) -> Reply:
        parameters = body.get("parameters") or {}
        if parameters.get("temperature") is not None and parameters["temperature"] <= 0:
            raise ProviderError(
                424, "Received client error (422) from primary with message \"Input validation error: "
                "`temperature` must be strictly positive\"", error_type="ModelError",
            )  # fmt: skip
        text = c.reply_text(body["inputs"])
        text, cut = c.truncate_to_tokens(text, parameters.get("max_new_tokens"))
        reason = "length" if cut else "eos_token"
        tokens = c.word_pieces(text)
        if not stream:
            return JsonReply([{"generated_text": text}])
        lines = b""
        for index, piece in enumerate(c.group_pieces(tokens, call.chunks)):
            token = {"id": index, "text": piece, "logprob": -0.1, "special": False}
            lines += b"data:" + _json(
                {"index": index, "token": token, "generated_text": None, "details": None}
            )
            lines += b"\n\n"
        end = {"id": 2, "text": "</s>", "logprob": 0.0, "special": True}
        details = {"finish_reason": reason, "generated_tokens": len(tokens) + 1, "seed": None}
        last = {"index": len(tokens), "token": end, "generated_text": text, "details": details}
        return self._stream(lines + b"data:" + _json(last) + b"\n\n")

    def _messages_api(self, name: str, body: dict[str, Any], call: Call, stream: bool) -> Reply:
        last_user = next(
            (m.get("content") for m in reversed(body["messages"]) if m.get("role") == "user"), ""
        )
        prompt_text = last_user if isinstance(last_user, str) else " ".join(
            str(p.get("text", "")) for p in last_user if isinstance(p, dict)
        )  # fmt: skip
        text, cut = c.truncate_to_tokens(c.reply_text(prompt_text), body.get("max_tokens"))
        prompt = sum(c.count_tokens(str(m.get("content") or "")) for m in body["messages"])
        usage = {"prompt_tokens": prompt, "completion_tokens": c.count_tokens(text),
                 "total_tokens": prompt + c.count_tokens(text)}  # fmt: skip
        created, ident = int(time.time()), c.stable_id("chatcmpl-", name, prompt_text)
        reason = "length" if cut else "stop"
        if not stream:
            message = {"role": "assistant", "content": text}
            return JsonReply({"id": ident, "object": "chat.completion", "created": created, "model": "tgi",
                              "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                              "usage": usage})  # fmt: skip

        def chunk(delta: dict[str, Any], finish: str | None = None, with_usage: bool = False) -> bytes:
            choices = [] if with_usage else [{"index": 0, "delta": delta, "finish_reason": finish}]
            value: dict[str, Any] = {"id": ident, "object": "chat.completion.chunk", "created": created,
                                     "model": "tgi", "choices": choices}  # fmt: skip
            if with_usage:
                value["usage"] = usage
            return b"data: " + _json(value) + b"\n\n"

        out = chunk({"role": "assistant", "content": ""})
        for piece in c.group_pieces(c.word_pieces(text), call.chunks):
            out += chunk({"content": piece})
        out += chunk({}, reason)
        if (body.get("stream_options") or {}).get("include_usage"):
            out += chunk({}, with_usage=True)
        return self._stream(out + b"data: [DONE]\n\n")
