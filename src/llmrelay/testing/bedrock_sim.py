"""A simulator of the AWS Bedrock Runtime: Converse (JSON), ConverseStream (the binary
`application/vnd.amazon.eventstream`) and InvokeModel for Amazon Titan and Cohere embeddings.

It checks what AWS checks first: a SigV4 signature, recomputed with botocore from the simulator's known
secrets (or a Bedrock API key as a bearer token); a bad one gets AWS's 403 and exception name. Errors
carry `x-amzn-ErrorType` and a `{"message"}` body, as Bedrock's REST-JSON errors do.

    sim = BedrockSimulator()             # accepts ACCESS_KEY_ID / SECRET_ACCESS_KEY
    llmrelay.completion("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", messages,
                        api_base=..., aws_region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
"""

from __future__ import annotations

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
from llmrelay.testing.bedrock_invoke_sim import invoke_chat
from llmrelay.testing.bedrock_validate import (
    VALIDATION,
    check_converse_request,
    invalid,
    output_schema,
    tool_specs,
)
from llmrelay.testing.bedrock_wire import event, exception, frame, verify_sigv4

ACCESS_KEY_ID = "AKIASIMULATOR0000001"
SECRET_ACCESS_KEY = "sim/Secret+Access/Key0000000000000000000"
REGION = "us-east-1"
CONTEXT_WINDOW_MESSAGE = "Input is too long for requested model."
_NAMESPACE = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_ERROR_TYPES = {
    400: VALIDATION,
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    413: "RequestEntityTooLargeException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_OPERATIONS = ("converse", "converse-stream", "invoke", "invoke-with-response-stream")


class BedrockSimulator(ProviderSimulator):
    kind = "bedrock"
    api_base_path = ""  # api_base is the runtime endpoint's root
    stream_content_type = "application/vnd.amazon.eventstream"
    default_context_window = 200_000

    def __init__(self, *, aws_keys: dict[str, str] | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        # access key id → secret key: what SigV4 signatures are checked against
        self.aws_keys = dict(aws_keys) if aws_keys is not None else {ACCESS_KEY_ID: SECRET_ACCESS_KEY}
        # access key ids whose session token has run out: AWS's 403 ExpiredTokenException
        self.expired_keys: set[str] = set()

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/model/{target:.+}", self.dispatch)]

    # ---- errors
    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"message": message}

    def _error_response(self, error: ProviderError, retry_after: float | None = None) -> web.Response:
        response = super()._error_response(error, retry_after)
        fallback = "InternalFailure" if error.status >= 500 else "ValidationException"
        name = error.detail.get("error_type") or _ERROR_TYPES.get(error.status) or fallback
        response.headers["x-amzn-ErrorType"] = name + _NAMESPACE
        response.headers["x-amzn-RequestId"] = c.stable_id("", name, error.message, length=32)
        return response

    def stream_error_event(self, status: int, message: str) -> bytes:
        name = {
            429: "throttlingException",
            400: "validationException",
            503: "serviceUnavailableException",
        }.get(status, "internalServerException")
        return exception(name, _json({"message": message}))

    def broken_event(self) -> bytes:
        whole = event("contentBlockDelta", b'{"delta": {"text": "broken"}, "contentBlockIndex": 0}')
        return whole[:-4] + bytes(4)  # a wrong message CRC

    def check_auth(self, call: Call) -> ProviderError | None:
        auth = call.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            if self.key_accepted(auth[len("Bearer ") :]):
                return None
            return ProviderError(
                403,
                "The security token included in the request is invalid.",
                error_type="UnrecognizedClientException",
            )
        url = f"http://{call.headers.get('host', '')}{call.raw_path}"
        failure = verify_sigv4(call.method, url, call.headers, call.raw_body, self.aws_keys)
        if failure is not None:
            return ProviderError(403, failure.message, error_type=failure.error_type)
        if _access_key(auth) in self.expired_keys:
            message = "The security token included in the request is expired"
            return ProviderError(403, message, error_type="ExpiredTokenException")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(400, CONTEXT_WINDOW_MESSAGE, error_type=VALIDATION)
        # a guardrail's intervention is an answer, not an HTTP error
        _, operation = _split(call.match["target"])
        blocked = "Sorry, the model cannot answer this question."
        usage = _usage(8, len(c.word_pieces(blocked)))
        if operation == "converse-stream":
            return StreamReply(
                [
                    event("messageStart", _json({"role": "assistant"})),
                    event("contentBlockDelta", _json({"delta": {"text": blocked}, "contentBlockIndex": 0})),
                    event("contentBlockStop", _json({"contentBlockIndex": 0})),
                    event("messageStop", _json({"stopReason": "guardrail_intervened"})),
                    event("metadata", _json({"usage": usage, "metrics": {"latencyMs": 5}})),
                ]
            )
        return JsonReply(
            {
                "output": {"message": {"role": "assistant", "content": [{"text": blocked}]}},
                "stopReason": "guardrail_intervened",
                "usage": usage,
                "metrics": {"latencyMs": 5},
            }
        )

    # ---- endpoints
    async def dispatch(self, call: Call) -> Reply:
        model, operation = _split(call.match["target"])
        if operation not in _OPERATIONS or not model:
            raise ProviderError(404, f"Unknown operation {call.path}", error_type="UnknownOperationException")
        if operation in ("invoke", "invoke-with-response-stream"):
            chat = invoke_chat(model, call.body, operation != "invoke", call.chunks)
            if chat is not None:
                return chat
            if operation != "invoke":
                raise invalid(f"The simulator streams InvokeModel for chat models only, not {model}.")
            return self.invoke(model, call.body)
        check_converse_request(call.body)
        prompt_tokens = _prompt_tokens(call.body)
        if prompt_tokens > self.settings.context_window:
            raise invalid(CONTEXT_WINDOW_MESSAGE)
        return self.converse(model, call, prompt_tokens, stream=operation == "converse-stream")

    def converse(self, model: str, call: Call, prompt_tokens: int, *, stream: bool) -> Reply:
        blocks, stop_reason = _answer(call.body)
        output_tokens = sum(_block_tokens(b) for b in blocks)
        usage = _usage(prompt_tokens, output_tokens)
        headers = {
            "x-amzn-RequestId": c.stable_id("", model, _json(call.body["messages"]).decode(), length=32)
        }
        if not stream:
            return JsonReply(
                {
                    "output": {"message": {"role": "assistant", "content": blocks}},
                    "stopReason": stop_reason,
                    "usage": usage,
                    "metrics": {"latencyMs": 10},
                },
                headers=headers,
            )
        events = [event("messageStart", _json({"role": "assistant"}))]
        for index, block in enumerate(blocks):
            events.extend(_block_events(block, index, call.chunks))
        events.append(event("messageStop", _json({"stopReason": stop_reason})))
        events.append(event("metadata", _json({"usage": usage, "metrics": {"latencyMs": 10}})))
        return StreamReply(events, headers=headers)

    def invoke(self, model: str, body: Any) -> Reply:
        if not isinstance(body, dict):
            raise invalid("Malformed input request, please reformat your input and try again.")
        if "titan-embed" in model:
            text = body.get("inputText")
            if not isinstance(text, str) or not text:
                raise invalid(_malformed("#: required key [inputText] not found"))
            size = int(body.get("dimensions") or (1536 if "text-v1" in model else 1024))
            if "v2" in model and size not in (256, 512, 1024):
                raise invalid(_malformed("#/dimensions: 1024, 512 or 256 expected"))
            vector = list(c.embedding_vector(text, size))
            return JsonReply({"embedding": vector, "inputTextTokenCount": c.count_tokens(text),
                              "embeddingsByType": {"float": vector}})  # fmt: skip
        if "cohere.embed" in model:
            texts = body.get("texts")
            if not isinstance(texts, list) or not texts or not body.get("input_type"):
                raise invalid(_malformed("#: required key [input_type] not found"))
            if len(texts) > 96:
                raise invalid(_malformed("#/texts: expected maximum item count: 96"))
            vectors = [list(c.embedding_vector(str(t), 1024)) for t in texts]
            tokens = sum(c.count_tokens(str(t)) for t in texts)
            return JsonReply(
                {"embeddings": vectors, "id": c.stable_id("", *map(str, texts), length=32),
                 "response_type": "embeddings_floats", "texts": texts},
                headers={"x-amzn-bedrock-input-token-count": str(tokens)},
            )  # fmt: skip
        raise invalid(f"The simulator serves InvokeModel for Titan and Cohere embeddings only, not {model}.")


def _malformed(detail: str) -> str:
    return f"Malformed input request: {detail}, please reformat your input and try again."


def _split(target: str) -> tuple[str, str]:
    model, _, operation = target.rpartition("/")
    return model, operation


def _usage(prompt: int, output: int) -> dict[str, int]:
    return {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}


def _text_of(blocks: list[dict[str, Any]]) -> str:
    return " ".join(str(b["text"]) for b in blocks if "text" in b)


def _prompt_tokens(body: dict[str, Any]) -> int:
    tokens = c.count_tokens(_text_of(body.get("system") or []))
    for message in body["messages"]:
        for block in message["content"]:
            tokens += (
                c.count_tokens(block["text"]) if "text" in block else c.count_tokens(_json(block).decode())
            )
    if body.get("toolConfig"):
        tokens += c.count_tokens(_json(body["toolConfig"]).decode())
    return tokens


def _answer(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """(content blocks, stopReason) of the simulated answer."""
    messages = body["messages"]
    last = messages[-1]["content"] if messages[-1]["role"] == "user" else []
    user_text = next(
        (
            _text_of(m["content"])
            for m in reversed(messages)
            if m["role"] == "user" and _text_of(m["content"])
        ),
        "",
    )
    blocks: list[dict[str, Any]] = []
    thinking = (body.get("additionalModelRequestFields") or {}).get("thinking") or {}
    if thinking.get("type") == "enabled":
        thought = "Thinking about: " + (c.snippet(user_text, 12) or "the request")
        signature = c.stable_id("sig", thought, length=32)
        blocks.append({"reasoningContent": {"reasoningText": {"text": thought, "signature": signature}}})
    results = [b["toolResult"] for b in last if "toolResult" in b]
    specs = tool_specs(body)
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {"auto": {}}
    forced = "any" in choice or "tool" in choice
    if specs and (forced or not results):
        named = (choice.get("tool") or {}).get("name")
        fitting = specs[
            c.pick_tool([s["name"] for s in specs], [s.get("description") or "" for s in specs], user_text)
        ]
        spec = next((s for s in specs if s["name"] == named), fitting)
        args = c.example_object(spec["inputSchema"]["json"], c.snippet(user_text, 8))
        tool_id = "tooluse_" + c.stable_id("", spec["name"], _json(args).decode(), length=22)
        blocks.append({"toolUse": {"toolUseId": tool_id, "name": spec["name"], "input": args}})
        return blocks, "tool_use"
    if results:
        text = c.tool_result_reply(" ".join(_text_of(r.get("content") or []) for r in results))
    else:
        text = c.reply_text(user_text)
    schema = output_schema(body)
    if schema is not None:
        text = _json(c.example_object(schema, c.snippet(user_text, 8))).decode()
    config = body.get("inferenceConfig") or {}
    stop_reason = "end_turn"
    for stop in config.get("stopSequences") or ():
        at = text.find(stop)
        if stop and at >= 0:
            text, stop_reason = text[:at], "stop_sequence"
            break
    text, cut = c.truncate_to_tokens(text, config.get("maxTokens"))
    if cut:
        stop_reason = "max_tokens"
    blocks.append({"text": text})
    return blocks, stop_reason


def _block_tokens(block: dict[str, Any]) -> int:
    if "text" in block:
        return len(c.word_pieces(block["text"]))
    if "toolUse" in block:
        return c.count_tokens(_json(block["toolUse"]).decode())
    return len(c.word_pieces(block["reasoningContent"]["reasoningText"]["text"]))


def _block_events(block: dict[str, Any], index: int, chunks: int | None) -> list[bytes]:
    """One answer block as ConverseStream carries it: start (tool use only), deltas, stop."""
    out: list[bytes] = []

    def delta(value: dict[str, Any]) -> None:
        out.append(event("contentBlockDelta", _json({"delta": value, "contentBlockIndex": index})))

    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        out.append(event("contentBlockStart", _json({"start": start, "contentBlockIndex": index})))
        arguments = _json(use["input"]).decode()
        for piece in c.split_text(arguments, 2):
            delta({"toolUse": {"input": piece}})
    elif "reasoningContent" in block:
        reasoning = block["reasoningContent"]["reasoningText"]
        for piece in c.group_pieces(c.word_pieces(reasoning["text"]), chunks):
            delta({"reasoningContent": {"text": piece}})
        delta({"reasoningContent": {"signature": reasoning["signature"]}})
    else:
        for piece in c.group_pieces(c.word_pieces(block["text"]), chunks):
            delta({"text": piece})
    out.append(event("contentBlockStop", _json({"contentBlockIndex": index})))
    return out


__all__ = ["ACCESS_KEY_ID", "REGION", "SECRET_ACCESS_KEY", "BedrockSimulator", "frame"]


def _access_key(authorization: str) -> str:
    """The access key id of a SigV4 Authorization header (`Credential=<id>/<scope>`)."""
    _, _, rest = authorization.partition("Credential=")
    return rest.split("/", 1)[0]
