"""A simulator of IBM watsonx.ai (cloud.ibm.com/apidocs/watsonx-ai) and of the IBM Cloud IAM token
endpoint it takes its tokens from.

- `POST /identity/token`: form `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=...`; an
  accepted key (any, or `api_keys=`) gets `{"access_token", "expires_in", "expiration", ...}`, another
  IAM's 400 `{"errorCode": "BXNIM0415E", "errorMessage"}`;
- `/ml/v1/text/chat` and `chat_stream` (OpenAI-shaped messages and answers, `model_id` beside
  `model`), `/ml/v1/text/generation` and `generation_stream` (`input`, `parameters`, `results` with
  IBM's stop reasons), `/ml/v1/text/embeddings`; the same under `/ml/v1/deployments/{id}/text/`.

Every model route needs `?version=<date>` and `Authorization: Bearer <token>` (a token it issued, or
a static one: `sim-key`, or any of `api_keys=`) or `ZenApiKey <key>` (an accepted key); the body
names `model_id` and `project_id` or `space_id` (not for a deployment). Streams are SSE events
`id: n`, `event: message`, `data: {...}`, without `[DONE]`. Errors are `{"errors": [{"code",
"message", "more_info"}], "trace", "status_code"}`.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

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

IAM_PATH = "/identity/token"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
STATIC_TOKEN = "sim-key"
EMBED_DIMENSIONS = 768
_CODES = {400: "json_validation_error", 401: "authentication_token_not_valid", 403: "authorization_rejected",
          404: "model_not_supported", 408: "request_timeout", 413: "payload_too_large",
          422: "invalid_input_argument", 429: "token_quota_reached", 500: "internal_server_error",
          503: "service_unavailable"}  # fmt: skip


class WatsonxSimulator(ProviderSimulator):
    kind = "watsonx"
    api_base_path = ""  # the regional endpoint's root; clients add /ml/v1/...

    def __init__(self, *, token_lifetime: int = 3600, **settings: Any) -> None:
        super().__init__(**settings)
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # issued token → monotonic expiry
        self.tokens_issued = 0

    def reset_state(self) -> None:
        # issued tokens outlive a reset, as a real token outlives a test (a client holding one keeps
        # working; revoke_tokens() ends them); the count starts again
        with self._lock:
            self.tokens_issued = 0

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def routes(self) -> list[tuple[str, str, Handler]]:
        out: list[tuple[str, str, Handler]] = [("POST", "/ml/v1/text/embeddings", self.embeddings)]
        for head in ("/ml/v1/text", "/ml/v1/deployments/{deployment}/text"):
            out += [
                ("POST", f"{head}/chat", self.chat),
                ("POST", f"{head}/chat_stream", self.chat),
                ("POST", f"{head}/generation", self.generation),
                ("POST", f"{head}/generation_stream", self.generation),
            ]
        return out

    def add_to(self, app: web.Application) -> None:
        super().add_to(app)
        app.router.add_post(IAM_PATH, self._iam_token)

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        code = detail.get("code") or _CODES.get(status, "internal_server_error")
        return {
            "errors": [
                {"code": code, "message": message, "more_info": "https://cloud.ibm.com/apidocs/watsonx-ai"}
            ],
            "trace": secrets.token_hex(16),
            "status_code": status,
        }

    def stream_error_event(self, status: int, message: str) -> bytes:
        return b"id: 0\nevent: error\ndata: " + _json(self.error_body(status, message)) + b"\n\n"

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, value = call.headers.get("authorization", "").partition(" ")
        value = value.strip()
        if scheme == "ZenApiKey" and self.key_accepted(value):
            return None
        if scheme.lower() == "bearer" and value and self._token_valid(value):
            return None
        return ProviderError(
            401,
            "Failed to authenticate the request due to an expired token",
            code="authentication_token_expired",
        )

    def _token_valid(self, token: str) -> bool:
        keys = self.settings.api_keys
        if token in (keys if keys is not None else {STATIC_TOKEN}):
            return True
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(
                400,
                "the number of input tokens exceeds the maximum context length of the model",
                code="invalid_input_argument",
            )
        return ProviderError(
            400, "Potentially harmful text detected in the input", code="content_policy_violation"
        )

    # ---- IAM
    async def _iam_token(self, request: web.Request) -> web.Response:
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode()).items() if v}
        if form.get("grant_type") != APIKEY_GRANT:
            return _iam_error(400, "BXNIM0103E", "Grant type is not supported.")
        if not self.key_accepted(form.get("apikey")):
            return _iam_error(400, "BXNIM0415E", "Provided API key could not be found.")
        token = "eyJraWQi.sim-iam." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        return web.json_response(
            {
                "access_token": token,
                "refresh_token": "not_supported",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "expiration": int(time.time()) + self.token_lifetime,
                "scope": "ibm openid",
            }
        )

    # ---- model routes
    async def chat(self, call: Call) -> Reply:
        body, model = self._checked(call)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise ProviderError(400, "messages: at least one message is required")
        texts = [_text(m.get("content")) for m in messages]
        user_text = next(
            (t for m, t in zip(reversed(messages), reversed(texts), strict=True) if m.get("role") == "user"),
            "",
        )
        prompt_tokens = c.count_tokens(" ".join(texts))
        results = [t for m, t in zip(messages, texts, strict=True) if m.get("role") == "tool"]
        tools = body.get("tools") or []
        calls: list[dict[str, Any]] = []
        if tools and not results and body.get("tool_choice_option") != "none":
            functions = [t["function"] for t in tools]
            index = c.pick_tool(
                [f["name"] for f in functions], [f.get("description") or "" for f in functions], user_text
            )
            args = c.example_object(functions[index].get("parameters"), c.snippet(user_text, 8))
            calls = [
                {
                    "id": c.stable_id("chatcmpl-tool-", user_text),
                    "type": "function",
                    "function": {"name": functions[index]["name"], "arguments": _json(args).decode()},
                }
            ]
            text, reason = "", "tool_calls"
        else:
            text = c.tool_result_reply(" ".join(results)) if results else c.reply_text(user_text)
            if (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
                text = _json(c.json_answer(None, " ".join(texts), c.snippet(user_text, 8), text)).decode()
            text, reason = _limit(text, body.get("stop"), body.get("max_tokens"))
        completion = len(c.word_pieces(text)) + sum(c.count_tokens(x["function"]["arguments"]) for x in calls)
        usage = {
            "completion_tokens": completion,
            "prompt_tokens": prompt_tokens,
            "total_tokens": prompt_tokens + completion,
        }
        head = {
            "id": "chatcmpl-" + secrets.token_hex(16),
            "model_id": model,
            "model": model,
            "created": int(time.time()),
            "model_version": "3.1.0",
            "created_at": _created_at(),
        }
        if not call.path.endswith("_stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if calls:
                message["tool_calls"] = calls
            return JsonReply(
                {
                    **head,
                    "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                    "usage": usage,
                }
            )
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        if calls:
            deltas.append({"tool_calls": [{"index": 0, **calls[0]}]})
        deltas += [{"content": p} for p in c.group_pieces(c.word_pieces(text), call.chunks)]
        events = [{**head, "choices": [{"index": 0, "finish_reason": None, "delta": d}]} for d in deltas]
        events.append(
            {**head, "choices": [{"index": 0, "finish_reason": reason, "delta": {}}], "usage": usage}
        )
        return StreamReply(_events(events))

    async def generation(self, call: Call) -> Reply:
        body, model = self._checked(call)
        prompt = body.get("input")
        if not isinstance(prompt, str):
            raise ProviderError(400, "input: a string is required")
        parameters = body.get("parameters") or {}
        text, reason = _limit(
            c.reply_text(prompt), parameters.get("stop_sequences"), parameters.get("max_new_tokens")
        )
        stop_reason = {"length": "max_tokens", "stop": "eos_token"}[reason]
        if reason == "stop" and parameters.get("stop_sequences") and not text.endswith("."):
            stop_reason = "stop_sequence"
        pieces = c.word_pieces(text)
        head = {"model_id": model, "model_version": "3.1.0", "created_at": _created_at()}
        counts = {"input_token_count": c.count_tokens(prompt)}
        if not call.path.endswith("_stream"):
            result = {
                "generated_text": text,
                "generated_token_count": len(pieces),
                **counts,
                "stop_reason": stop_reason,
            }
            return JsonReply({**head, "results": [result]})
        groups = c.group_pieces(pieces, call.chunks)
        events, made = [], 0
        for i, piece in enumerate(groups):
            made += len(c.word_pieces(piece))
            last = i == len(groups) - 1
            result = {
                "generated_text": piece,
                "generated_token_count": made,
                **counts,
                "stop_reason": stop_reason if last else "not_finished",
            }
            events.append({**head, "results": [result]})
        if not groups:
            events.append(
                {
                    **head,
                    "results": [
                        {
                            "generated_text": "",
                            "generated_token_count": 0,
                            **counts,
                            "stop_reason": stop_reason,
                        }
                    ],
                }
            )
        return StreamReply(_events(events))

    async def embeddings(self, call: Call) -> Reply:
        body, model = self._checked(call)
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
            raise ProviderError(400, "inputs: a non-empty list of strings is required")
        return JsonReply(
            {
                "model_id": model,
                "created_at": _created_at(),
                "results": [{"embedding": list(c.embedding_vector(t, EMBED_DIMENSIONS))} for t in inputs],
                "input_token_count": sum(c.count_tokens(t) for t in inputs),
            }
        )

    def _checked(self, call: Call) -> tuple[dict[str, Any], str]:
        if not call.query.get("version"):
            raise ProviderError(400, "Missing query parameter 'version'", code="missing_query_parameter")
        body = call.body
        if not isinstance(body, dict):
            raise ProviderError(400, "Invalid request body")
        deployment = call.match.get("deployment")
        if deployment is not None:
            if "model_id" in body or "project_id" in body or "space_id" in body:
                raise ProviderError(400, "model_id, project_id and space_id are not allowed for a deployment")
            return body, deployment
        model = body.get("model_id")
        if not isinstance(model, str) or not model:
            raise ProviderError(400, "Missing or invalid model_id", code="json_validation_error")
        if model.startswith("missing"):
            raise ProviderError(404, f"Model '{model}' is not supported", code="model_not_supported")
        if not (body.get("project_id") or body.get("space_id")):
            raise ProviderError(
                400, "Either 'project_id' or 'space_id' must be specified", code="json_validation_error"
            )
        return body, model


def _limit(text: str, stops: Any, max_tokens: Any) -> tuple[str, str]:
    text, stop = c.cut_at_stop(text, stops)
    if stop is not None:
        return text, "stop"
    text, cut = c.truncate_to_tokens(text, max_tokens if isinstance(max_tokens, int) else None)
    return text, "length" if cut else "stop"


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _events(values: list[dict[str, Any]]) -> list[bytes]:
    return [b"id: %d\nevent: message\ndata: " % (i + 1) + _json(v) + b"\n\n" for i, v in enumerate(values)]


def _created_at() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _iam_error(status: int, code: str, message: str) -> web.Response:
    body = {"errorCode": code, "errorMessage": message, "context": {"requestId": secrets.token_hex(8)}}
    return web.json_response(body, status=status)
