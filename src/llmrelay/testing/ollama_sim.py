"""A simulator of Ollama's own API (github.com/ollama/ollama, docs/api.md): /api/chat, /api/generate
and /api/embed. Chat and generate stream newline-delimited JSON unless `"stream": false` (streaming is
Ollama's default), each line carrying what was generated since the last and the last `done: true`
with `done_reason`, `prompt_eval_count` and `eval_count`. Tool calls carry their arguments as an
object. Errors are `{"error": "..."}`, mid-stream as one such line.

A local Ollama takes no key; when the simulator is given keys (`api_keys=`), it wants one as a bearer
token, as Ollama behind a proxy (or ollama.com) does. A model whose name starts with `missing`
answers 404, as a model not pulled does.
"""

from __future__ import annotations

import time
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
)
from llmrelay.testing.base import encode_json as _json

ROLES = frozenset({"system", "user", "assistant", "tool"})
EMBED_DIMENSIONS = 384
REFUSAL_TEXT = "I'm sorry, but I can't help with that."


def _line(value: Any) -> bytes:
    return _json(value) + b"\n"


def _created_at() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


class OllamaSimulator(ProviderSimulator):
    kind = "ollama"
    api_base_path = ""  # the server root (http://localhost:11434); clients add /api/...
    stream_content_type = "application/x-ndjson"
    default_context_window = 32_768

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/api/chat", self.chat),
            ("POST", "/api/generate", self.generate),
            ("POST", "/api/embed", self.embed),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"error": message}

    def stream_error_event(self, status: int, message: str) -> bytes:
        return _line({"error": message})

    def broken_event(self) -> bytes:
        return b'{"broken": \n'

    def check_auth(self, call: Call) -> ProviderError | None:
        if self.settings.api_keys is None:
            return None
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.key_accepted(token.strip()):
            return ProviderError(401, "unauthorized")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(400, "the input length exceeds the context length")
        # Ollama has no content filter: the model declines in text
        return self._answer(call, chat=call.path == "/api/chat", refused=True)

    # ---- endpoints
    async def chat(self, call: Call) -> Reply:
        return self._answer(call, chat=True, refused=False)

    async def generate(self, call: Call) -> Reply:
        return self._answer(call, chat=False, refused=False)

    async def embed(self, call: Call) -> Reply:
        body = _object(call.body)
        model = _model(body)
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ProviderError(400, "invalid input type")
        dimensions = body.get("dimensions") or EMBED_DIMENSIONS
        if not isinstance(dimensions, int) or dimensions < 1:
            raise ProviderError(400, "dimensions must be a positive integer")
        return JsonReply(
            {
                "model": model,
                "embeddings": [list(c.embedding_vector(t, dimensions)) for t in texts],
                "total_duration": 14143917,
                "load_duration": 1019500,
                "prompt_eval_count": sum(c.count_tokens(t) for t in texts),
            }
        )

    # ---- answers
    def _answer(self, call: Call, *, chat: bool, refused: bool) -> Reply:
        body = _object(call.body)
        model = _model(body)
        if chat:
            messages = _messages(body)
            user_text = next((m.get("content") or "" for m in reversed(messages) if m["role"] == "user"), "")
            prompt_text = " ".join(m.get("content") or "" for m in messages)
        else:
            prompt = body.get("prompt", "")
            if not isinstance(prompt, str):
                raise ProviderError(400, "json: cannot unmarshal prompt into a string")
            messages, user_text = [], prompt
            prompt_text = " ".join(filter(None, [body.get("system") or "", prompt]))
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise ProviderError(400, "json: cannot unmarshal options into an object")
        thinking = (
            f"Thinking about: {c.snippet(user_text, 12) or 'the request'}" if body.get("think") else None
        )
        text, calls, reason = _reply(body, messages, user_text, prompt_text, options, refused=refused)
        prompt_tokens = c.count_tokens(prompt_text)
        if body.get("tools"):
            prompt_tokens += c.count_tokens(_json(body["tools"]).decode())
        output = len(c.word_pieces(text)) + len(c.word_pieces(thinking or ""))
        output += sum(c.count_tokens(_json(call_["function"]).decode()) for call_ in calls)
        final = {
            "model": model,
            "created_at": _created_at(),
            "done": True,
            "done_reason": reason,
            "total_duration": 4883583458,
            "load_duration": 1334875,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 342546000,
            "eval_count": output,
            "eval_duration": 4535599000,
        }
        if body.get("stream", True) is not False:
            return StreamReply(_lines(model, chat, text, thinking, calls, final, call.chunks))
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if thinking is not None:
                message["thinking"] = thinking
            if calls:
                message["tool_calls"] = calls
            return JsonReply({**final, "message": message})
        answer = {**final, "response": text}
        if thinking is not None:
            answer["thinking"] = thinking
        return JsonReply(answer)


def _lines(
    model: str,
    chat: bool,
    text: str,
    thinking: str | None,
    calls: list[dict[str, Any]],
    final: dict[str, Any],
    chunks: int | None,
) -> list[bytes]:
    def line(piece: str = "", think: str | None = None, tool_calls: Any = None) -> bytes:
        head: dict[str, Any] = {"model": model, "created_at": _created_at()}
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": piece}
            if think is not None:
                message["thinking"] = think
            if tool_calls is not None:
                message["tool_calls"] = tool_calls
            return _line({**head, "message": message, "done": False})
        answer: dict[str, Any] = {**head, "response": piece, "done": False}
        if think is not None:
            answer["thinking"] = think
        return _line(answer)

    out = (
        [line("", think=piece) for piece in c.group_pieces(c.word_pieces(thinking), chunks)]
        if thinking
        else []
    )
    if calls:
        out.append(line(tool_calls=calls))
    elif text:
        out.extend(line(piece) for piece in c.group_pieces(c.word_pieces(text), chunks))
    last = {**final, "message": {"role": "assistant", "content": ""}} if chat else {**final, "response": ""}
    out.append(_line(last))
    return out


def _reply(
    body: dict[str, Any],
    messages: list[dict[str, Any]],
    user_text: str,
    prompt_text: str,
    options: dict[str, Any],
    *,
    refused: bool,
) -> tuple[str, list[dict[str, Any]], str]:
    if refused:
        return REFUSAL_TEXT, [], "stop"
    results: list[str] = []
    for message in reversed(messages):
        if message["role"] != "tool":
            break
        results.insert(0, message.get("content") or "")
    tools = body.get("tools") or []
    if tools and not results:
        functions = [t["function"] for t in tools]
        names = [f["name"] for f in functions]
        function = functions[c.pick_tool(names, [f.get("description") or "" for f in functions], user_text)]
        args = c.example_object(function.get("parameters"), c.snippet(user_text, 8))
        # Ollama ends a tool-calling turn with done_reason "stop"
        return "", [{"function": {"name": function["name"], "arguments": args}}], "stop"
    text = c.tool_result_reply(" ".join(results)) if results else c.reply_text(user_text)
    fmt = body.get("format")
    if fmt == "json" or isinstance(fmt, dict):
        schema = fmt if isinstance(fmt, dict) else None
        text = _json(c.json_answer(schema, prompt_text, c.snippet(user_text, 8), text)).decode()
    text, stop = c.cut_at_stop(text, options.get("stop"))
    if stop is not None:
        return text, [], "stop"
    text, cut = c.truncate_to_tokens(text, options.get("num_predict"))
    return text, [], "length" if cut else "stop"


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProviderError(400, "invalid request body")
    return body


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ProviderError(400, "model is required")
    if model.startswith("missing"):
        raise ProviderError(404, f'model "{model}" not found, try pulling it first')
    return model


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ProviderError(400, "json: cannot unmarshal messages into a list")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ProviderError(
                400, f"invalid role: {message.get('role') if isinstance(message, dict) else message}"
            )
        if not isinstance(message.get("content", ""), str):
            raise ProviderError(
                400,
                "json: cannot unmarshal array into Go struct field Message.messages.content of type string",
            )
        for image in message.get("images") or ():
            if not isinstance(image, str) or image.startswith(("http:", "https:", "data:")):
                raise ProviderError(400, "illegal base64 data in images")
        for tool_call in message.get("tool_calls") or ():
            if not isinstance((tool_call.get("function") or {}).get("arguments"), dict):
                raise ProviderError(
                    400, "json: cannot unmarshal string into Go struct field .arguments of type map"
                )
    return messages
