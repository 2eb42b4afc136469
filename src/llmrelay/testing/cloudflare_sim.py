"""A simulator of Cloudflare Workers AI's REST API (developers.cloudflare.com/workers-ai): `POST
/client/v4/accounts/{account}/ai/run/{model}` with a bearer API token. Every answer is Cloudflare's
envelope `{"result", "success", "errors", "messages"}`. A text model takes `messages` (or `prompt`)
and answers `{"response", "usage"}`, streaming SSE `data: {"response", "p"}` events, a last one with
`usage`, then `data: [DONE]`; an embedding model (`@cf/baai/bge-...`, or any `...embedding...`)
takes `{"text": str | [str]}` and answers `{"shape", "data", "pooling"}`. Errors are
`{"result": null, "success": false, "errors": [{"code", "message"}], "messages": []}`. A model named
`@cf/missing...` answers Cloudflare's 400 "No such model" (code 5007), as the real API does.
"""

from __future__ import annotations

import secrets
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
    sse_data,
)
from llmrelay.testing.base import encode_json as _json

ACCOUNT = "sim-account"
EMBED_DIMENSIONS = 768
_CODES = {400: 5006, 401: 10000, 403: 10000, 404: 7003, 429: 3036, 500: 3043, 503: 3040}
_FIELDS = frozenset({"messages", "prompt", "stream", "max_tokens", "temperature", "top_p", "top_k", "seed",
                     "frequency_penalty", "presence_penalty", "repetition_penalty", "response_format", "raw",
                     "lora", "tools", "functions"})  # fmt: skip


class CloudflareSimulator(ProviderSimulator):
    kind = "cloudflare"
    api_base_path = f"/client/v4/accounts/{ACCOUNT}/ai/run"

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/client/v4/accounts/{account}/ai/run/{model:.+}", self.run)]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        code = detail.get("code") or _CODES.get(status, 3043)
        return {
            "result": None,
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
        }

    def stream_error_event(self, status: int, message: str) -> bytes:
        return sse_data(self.error_body(status, message))

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.key_accepted(token.strip()):
            return ProviderError(401, "Authentication error", code=10000)
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(400, "AiError: Input is too long: the context window is exceeded", code=5021)
        return ProviderError(400, "AiError: the request was flagged by the content policy", code=3030)

    async def run(self, call: Call) -> Reply:
        model = call.match["model"]
        if model.startswith("@cf/missing"):
            raise ProviderError(400, f"No such model {model} or task", code=5007)
        body = call.body
        if not isinstance(body, dict):
            raise ProviderError(400, "AiError: Bad input: the body is not a JSON object")
        if "bge" in model or "embedding" in model:
            return self._embed(body)
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise ProviderError(
                400, f"AiError: Bad input: unknown properties {', '.join(unknown)}", code=5006
            )
        messages = body.get("messages")
        if messages is not None:
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
            ):
                raise ProviderError(400, "AiError: Bad input: messages must have string content", code=5006)
            user_text = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
            prompt_text = " ".join(m["content"] for m in messages)
        elif isinstance(body.get("prompt"), str):
            user_text = prompt_text = body["prompt"]
        else:
            raise ProviderError(400, "AiError: Bad input: required properties messages or prompt", code=5006)
        text = c.reply_text(user_text)
        if (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
            text = _json(c.json_answer(None, prompt_text, c.snippet(user_text, 8), text)).decode()
        text, _ = c.truncate_to_tokens(text, body.get("max_tokens"))
        prompt, completion = c.count_tokens(prompt_text), len(c.word_pieces(text))
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if not body.get("stream"):
            return JsonReply(
                {"result": {"response": text, "usage": usage}, "success": True, "errors": [], "messages": []}
            )
        events = [sse_data({"response": piece, "p": secrets.token_hex(4)})
                  for piece in c.group_pieces(c.word_pieces(text), call.chunks)]  # fmt: skip
        events.append(sse_data({"response": "", "usage": usage}))
        events.append(b"data: [DONE]\n\n")
        return StreamReply(events)

    def _embed(self, body: dict[str, Any]) -> Reply:
        text = body.get("text")
        texts = [text] if isinstance(text, str) else text
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ProviderError(400, "AiError: Bad input: required properties text", code=5006)
        data = [list(c.embedding_vector(t, EMBED_DIMENSIONS)) for t in texts]
        result = {"shape": [len(data), EMBED_DIMENSIONS], "data": data, "pooling": "mean"}
        return JsonReply({"result": result, "success": True, "errors": [], "messages": []})
