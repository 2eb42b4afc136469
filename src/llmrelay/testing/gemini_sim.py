"""A simulator of the Gemini API (Google AI Studio, v1beta): generateContent, streamGenerateContent
(SSE with `alt=sse`, else a JSON array), countTokens, embedContent and batchEmbedContents, with
Gemini's key check (`x-goog-api-key` or `?key=`), protobuf-style validation and error envelopes."""

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
from llmrelay.testing.gemini_validate import check_generate_request, field

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_ACTIONS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents")


def _sse(value: Any) -> bytes:
    # Gemini frames its events with CRLF line ends
    return b"data: " + _json(value) + b"\r\n\r\n"


class GeminiSimulator(ProviderSimulator):
    kind = "gemini"
    api_base_path = "/v1beta"  # LiteLLM-style api_base includes the version
    default_context_window = 1_048_576

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v1beta/models/{target}", self.dispatch),
            ("POST", "/v1/models/{target}", self.dispatch),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION"),
        }
        if detail.get("details"):
            error["details"] = detail["details"]
        return {"error": error}

    def _error_response(self, error: ProviderError, retry_after: float | None = None) -> web.Response:
        if retry_after is not None and "details" not in error.detail:
            # Gemini says how long to wait in the body (RetryInfo), not only in a header
            error.detail["details"] = [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after:g}s"}
            ]
        return super()._error_response(error, retry_after)

    def stream_error_event(self, status: int, message: str) -> bytes:
        return _sse(self.error_body(status, message))

    def check_auth(self, call: Call) -> ProviderError | None:
        key = call.headers.get("x-goog-api-key") or call.query.get("key")
        if not key:
            return ProviderError(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if not self.key_accepted(key):
            return ProviderError(
                400,
                "API key not valid. Please pass a valid API key.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    }
                ],
            )
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            window = self.settings.context_window
            return ProviderError(
                400,
                f"The input token count ({window + 1}) exceeds the maximum number of tokens allowed "
                f"({window}).",
            )
        # a safety block is an answer, not an HTTP error: a candidate stopped for SAFETY, no content
        model, _, action = call.match["target"].partition(":")
        blocked = {
            "candidates": [
                {
                    "finishReason": "SAFETY",
                    "index": 0,
                    "safetyRatings": [
                        {
                            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                            "probability": "HIGH",
                            "blocked": True,
                        }
                    ],
                }
            ],
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
            "modelVersion": model,
        }
        if action == "streamGenerateContent" and call.query.get("alt") == "sse":
            return StreamReply([_sse(blocked)])
        return JsonReply([blocked] if action == "streamGenerateContent" else blocked)

    # ---- endpoints
    async def dispatch(self, call: Call) -> Reply:
        model, sep, action = call.match["target"].partition(":")
        if not sep or action not in _ACTIONS:
            raise ProviderError(404, f"Method not found: models/{call.match['target']}")
        if action == "embedContent":
            return self.embed(model, call.body)
        if action == "batchEmbedContents":
            return self.batch_embed(model, call.body)
        check_generate_request(call.body)
        prompt_tokens = _prompt_tokens(call.body)
        if action == "countTokens":
            return JsonReply({"totalTokens": prompt_tokens})
        if prompt_tokens > self.settings.context_window:
            raise ProviderError(
                400,
                f"The input token count ({prompt_tokens}) exceeds the maximum number of tokens allowed "
                f"({self.settings.context_window}).",
            )
        return self.generate(model, call, prompt_tokens, stream=action == "streamGenerateContent")

    def generate(self, model: str, call: Call, prompt_tokens: int, *, stream: bool) -> Reply:
        body = call.body
        config = field(body, "generationConfig") or {}
        parts, finish, thought_tokens = _answer(body, config)
        n = field(config, "candidateCount") or 1
        answer_tokens = sum(_part_tokens(p) for p in parts if not p.get("thought"))
        response_id = c.stable_id("", model, _json(field(body, "contents")).decode(), length=22)

        def usage(candidates: int) -> dict[str, Any]:
            out: dict[str, Any] = {"promptTokenCount": prompt_tokens}
            if candidates:
                out["candidatesTokenCount"] = candidates
            out["totalTokenCount"] = prompt_tokens + candidates + thought_tokens
            out["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt_tokens}]
            if thought_tokens:
                out["thoughtsTokenCount"] = thought_tokens
            return out

        if not stream:
            candidates = [
                {"content": {"parts": parts, "role": "model"}, "finishReason": finish, "index": i}
                for i in range(n)
            ]
            return JsonReply(
                {
                    "candidates": candidates,
                    "usageMetadata": usage(answer_tokens * n),
                    "modelVersion": model,
                    "responseId": response_id,
                }
            )
        pieces = _stream_parts(parts, call.chunks)
        chunks = []
        for k, piece_parts in enumerate(pieces):
            last = k == len(pieces) - 1
            candidates = []
            for i in range(n):
                candidate: dict[str, Any] = {"content": {"parts": piece_parts, "role": "model"}, "index": i}
                if last:
                    candidate["finishReason"] = finish
                candidates.append(candidate)
            chunk = {
                "candidates": candidates,
                "usageMetadata": usage(answer_tokens * n if last else 0),
                "modelVersion": model,
                "responseId": response_id,
            }
            chunks.append(chunk)
        if call.query.get("alt") == "sse":
            return StreamReply([_sse(chunk) for chunk in chunks])
        return JsonReply(chunks)  # without alt=sse Gemini streams one JSON array

    def embed(self, model: str, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(field(body, "content"), dict):
            raise ProviderError(400, "* EmbedContentRequest.content: content is not specified\n")
        return JsonReply({"embedding": {"values": _embedding(model, body)}})

    def batch_embed(self, model: str, body: Any) -> Reply:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not requests:
            raise ProviderError(400, "* BatchEmbedContentsRequest.requests: requests is not specified\n")
        values = []
        for i, request in enumerate(requests):
            if request.get("model") != f"models/{model}":
                raise ProviderError(
                    400,
                    f"* BatchEmbedContentsRequest.requests[{i}].model: the model of each request must be "
                    f"the model of the URL, models/{model}\n",
                )
            if not isinstance(field(request, "content"), dict):
                raise ProviderError(
                    400, f"* BatchEmbedContentsRequest.requests[{i}].content: content is not specified\n"
                )
            values.append({"values": _embedding(model, request)})
        return JsonReply({"embeddings": values})


def _text_of(content: dict[str, Any]) -> str:
    return " ".join(str(p["text"]) for p in content.get("parts") or () if isinstance(p, dict) and "text" in p)


def _prompt_tokens(body: dict[str, Any]) -> int:
    tokens = 0
    system = field(body, "systemInstruction")
    if system:
        tokens += c.count_tokens(_text_of(system))
    for content in field(body, "contents"):
        for part in content.get("parts") or ():
            text = part.get("text")
            tokens += c.count_tokens(text) if isinstance(text, str) else c.count_tokens(_json(part).decode())
    if field(body, "tools"):
        tokens += c.count_tokens(_json(field(body, "tools")).decode())
    return tokens


def _answer(body: dict[str, Any], config: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    """(parts, finishReason, thought tokens) of the simulated answer."""
    contents = field(body, "contents")
    last_parts = contents[-1].get("parts") or []
    user_text = next(
        (_text_of(x) for x in reversed(contents) if x.get("role", "user") == "user" and _text_of(x)), ""
    )
    parts: list[dict[str, Any]] = []
    thinking = field(config, "thinkingConfig") or {}
    thought_tokens = 0
    if field(thinking, "includeThoughts") or (field(thinking, "thinkingBudget") or 0) > 0:
        thought = "Thinking about: " + (c.snippet(user_text, 12) or "the request")
        thought_tokens = len(c.word_pieces(thought))
        if field(thinking, "includeThoughts"):
            parts.append({"text": thought, "thought": True})
    responses = [field(p, "functionResponse") for p in last_parts if field(p, "functionResponse") is not None]
    declarations = [d for t in field(body, "tools") or () for d in field(t, "functionDeclarations") or ()]
    calling = field(field(body, "toolConfig") or {}, "functionCallingConfig") or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    if declarations and mode != "NONE" and (mode == "ANY" or not responses):
        allowed = field(calling, "allowedFunctionNames") or []
        fitting = declarations[
            c.pick_tool([d.get("name", "") for d in declarations],
                        [d.get("description") or "" for d in declarations], user_text)
        ]  # fmt: skip
        decl = next((d for d in declarations if d.get("name") in allowed), fitting)
        args = c.example_object(
            decl.get("parameters") or field(decl, "parametersJsonSchema"), c.snippet(user_text, 8)
        )
        parts.append({"functionCall": {"name": decl["name"], "args": args}})
        return parts, "STOP", thought_tokens
    if responses:
        text = c.tool_result_reply(" ".join(_json(r.get("response", {})).decode() for r in responses))
    else:
        text = c.reply_text(user_text)
    if field(config, "responseMimeType") == "application/json":
        schema = field(config, "responseSchema") or field(config, "responseJsonSchema")
        system = field(body, "systemInstruction")
        prompt = " ".join([_text_of(system) if system else "", *(_text_of(x) for x in contents)])
        text = _json(c.json_answer(schema, prompt, c.snippet(user_text, 8), text)).decode()
    finish = "STOP"
    for stop in field(config, "stopSequences") or ():
        at = text.find(stop)
        if stop and at >= 0:
            text = text[:at]
            break
    text, cut = c.truncate_to_tokens(text, field(config, "maxOutputTokens"))
    if cut:
        finish = "MAX_TOKENS"
    parts.append({"text": text})
    return parts, finish, thought_tokens


def _part_tokens(part: dict[str, Any]) -> int:
    if "functionCall" in part:
        return c.count_tokens(_json(part["functionCall"]).decode())
    return len(c.word_pieces(part.get("text", "")))


def _stream_parts(parts: list[dict[str, Any]], chunks: int | None) -> list[list[dict[str, Any]]]:
    """The answer's parts as a stream carries them: text split into pieces, a function call whole."""
    out: list[list[dict[str, Any]]] = []
    for part in parts:
        if "text" in part:
            extra = {"thought": True} if part.get("thought") else {}
            out.extend(
                [{"text": piece, **extra}] for piece in c.group_pieces(c.word_pieces(part["text"]), chunks)
            )
        else:
            out.append([part])
    return out


def _embedding(model: str, request: dict[str, Any]) -> list[float]:
    text = _text_of(field(request, "content"))
    size = field(request, "outputDimensionality") or (768 if "text-embedding-004" in model else 3072)
    return list(c.embedding_vector(text, int(size)))
