"""A simulator of OpenAI's API: chat completions (JSON and SSE, tools, JSON mode, n), legacy
completions, embeddings (float and base64), the model list, moderations, images (generations,
variations, edits), speech, and transcriptions and translations, with OpenAI's checks and errors.

The same server answers as Azure OpenAI under `/openai/deployments/{deployment}/...?api-version=`:
the same bodies, `api-key` (or Entra ID `Bearer`) auth, and Azure's content-filter annotations; and as
Hugging Face's router, whose chat is OpenAI's and whose embeddings are the hf-inference provider's
feature extraction (`/hf-inference/models/{org}/{model}/pipeline/feature-extraction`)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import msgspec
from aiohttp import web

from llmrelay.testing import content as c
from llmrelay.testing.base import (
    BytesReply,
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
)
from llmrelay.testing.base import encode_json as _json
from llmrelay.testing.base import sse_data as _data
from llmrelay.testing.entra import EntraTokenIssuer
from llmrelay.testing.openai_audio import transcription_reply, translation_reply
from llmrelay.testing.openai_batches import FilesAndBatches
from llmrelay.testing.openai_media import (
    edit_reply,
    image_reply,
    moderation_reply,
    speech_reply,
    variation_reply,
)
from llmrelay.testing.openai_realtime import RealtimeEndpoint
from llmrelay.testing.openai_validate import (
    azure_body,
    check_chat_request,
    message_text,
    prompt_tokens_of,
    require_model,
)

DONE = b"data: [DONE]\n\n"
AZURE_PREFIX = "/openai/deployments/"
HF_FEATURE_EXTRACTION = "/hf-inference/models/{org}/{name}/pipeline/feature-extraction"
_SAFE = {"filtered": False, "severity": "safe"}
# what Azure's default content filter reports for harmless text
AZURE_FILTER_RESULTS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}
FINGERPRINT = "fp_llmrelay_sim"
DEFAULT_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo-instruct", "text-embedding-3-small")
_ERROR_TYPES = {
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "requests",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
}


class OpenAISimulator(ProviderSimulator):
    kind = "openai"
    api_base_path = "/v1"

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        # Azure's Microsoft Entra ID: app registrations and the tokens issued to them
        self.entra = EntraTokenIssuer()
        # the Files and Batch APIs (testing/openai_batches.py)
        self.batches = FilesAndBatches(self.chat)
        # the Realtime API's WebSocket (testing/openai_realtime.py)
        self.realtime = RealtimeEndpoint(self)

    def add_to(self, app: web.Application) -> None:
        super().add_to(app)
        self.entra.add_to(app)
        app.router.add_post(f"/_sim/{self.kind}/batches/{{batch_id}}/advance", self._admin_advance)
        self.realtime.add_to(app)

    def reset_state(self) -> None:
        self.batches.reset()
        self.realtime.ended.clear()

    async def _admin_advance(self, request: web.Request) -> web.Response:
        """Move a batch on from another process (`{"status": "completed"}`; not recorded, no auth)."""
        status = msgspec.json.decode(await request.read(), type=dict[str, str]).get("status", "")
        try:
            self.batches.advance(request.match_info["batch_id"], status)
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.batches.batches[request.match_info["batch_id"]].body)

    # ---- provider specifics
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v1/chat/completions", self.chat),
            ("POST", "/v1/completions", self.completions),
            ("POST", "/v1/embeddings", self.embeddings),
            ("POST", "/v1/moderations", self.moderations),
            ("POST", "/v1/images/generations", self.images),
            ("POST", "/v1/images/variations", self.variations),
            ("POST", "/v1/audio/speech", self.speech),
            ("POST", "/v1/images/edits", self.edits),
            ("POST", "/v1/audio/transcriptions", self.transcriptions),
            ("POST", "/v1/audio/translations", self.translations),
            ("GET", "/v1/models", self.list_models),
            ("GET", "/v1/models/{model}", self.get_model),
            ("POST", AZURE_PREFIX + "{deployment}/chat/completions", self.azure_chat),
            ("POST", AZURE_PREFIX + "{deployment}/completions", self.azure_completions),
            ("POST", AZURE_PREFIX + "{deployment}/embeddings", self.azure_embeddings),
            ("POST", AZURE_PREFIX + "{deployment}/images/generations", self.azure_images),
            ("POST", AZURE_PREFIX + "{deployment}/images/edits", self.azure_edits),
            ("POST", AZURE_PREFIX + "{deployment}/audio/transcriptions", self.azure_transcriptions),
            ("POST", AZURE_PREFIX + "{deployment}/audio/translations", self.azure_translations),
            ("POST", HF_FEATURE_EXTRACTION, self.hf_feature_extraction),
            *self._files_routes("/v1"),
            *self._files_routes("/openai"),  # Azure OpenAI's (?api-version=)
        ]

    def _files_routes(self, base: str) -> list[tuple[str, str, Handler]]:
        b = self.batches
        return [
            ("POST", base + "/files", b.upload),
            ("GET", base + "/files", b.list_files),
            ("GET", base + "/files/{file_id}", b.get_file),
            ("GET", base + "/files/{file_id}/content", b.file_content),
            ("DELETE", base + "/files/{file_id}", b.delete_file),
            ("POST", base + "/batches", b.create_batch),
            ("GET", base + "/batches", b.list_batches),
            ("GET", base + "/batches/{batch_id}", b.get_batch),
            ("POST", base + "/batches/{batch_id}/cancel", b.cancel_batch),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        error = {
            "message": message,
            "type": detail.get("type") or _ERROR_TYPES.get(status, "invalid_request_error"),
            "param": detail.get("param"),
            "code": detail.get("code"),
        }
        # provider extras, e.g. Azure's `innererror`
        error.update({k: v for k, v in detail.items() if k not in error})
        return {"error": error}

    def error_headers(self, retry_after: float | None) -> dict[str, str]:
        headers = super().error_headers(retry_after)
        if retry_after is not None:
            headers["retry-after-ms"] = str(int(retry_after * 1000))
        return headers

    def stream_error_event(self, status: int, message: str) -> bytes:
        return _data(self.error_body(status, message))

    def check_auth(self, call: Call) -> ProviderError | None:
        if call.path.startswith(("/openai/", AZURE_PREFIX)):
            return self._check_azure_auth(call)
        auth = call.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if not auth or scheme.lower() != "bearer" or not key.strip():
            return ProviderError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if not self.key_accepted(key.strip()):
            return ProviderError(401, "Incorrect API key provided.", code="invalid_api_key")
        return None

    def _check_azure_auth(self, call: Call) -> ProviderError | None:
        """An `api-key` header, else a Microsoft Entra ID token as `Authorization: Bearer`."""
        key = call.headers.get("api-key", "").strip()
        if not key:
            scheme, _, token = call.headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else ""
        if self.key_accepted(key) or self.entra.token_valid(key):
            return None
        return ProviderError(
            401,
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
            "a valid key for an active subscription and use a correct regional API endpoint for your "
            "resource.",
            code="401",
        )

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "content_policy" and call.path.startswith(AZURE_PREFIX):
            return _azure_content_filter_error()
        if kind == "context_window":
            tokens = self.settings.context_window + 1
            return ProviderError(
                400,
                f"This model's maximum context length is {self.settings.context_window} tokens. "
                f"However, your messages resulted in {tokens} tokens. Please reduce the length of "
                "the messages.",
                param="messages",
                code="context_length_exceeded",
            )
        return ProviderError(
            400,
            "Your request was rejected as a result of our safety system. Your prompt may contain text "
            "that is not allowed by our safety system.",
            code="content_policy_violation",
        )

    # ---- chat completions
    async def chat(self, call: Call) -> Reply:
        body = call.body
        check_chat_request(body)
        model: str = body["model"]
        prompt_tokens = prompt_tokens_of(body)
        if prompt_tokens > self.settings.context_window:
            raise _context_error(self.settings.context_window, prompt_tokens)
        answer = _plan_answer(body)
        n = int(body.get("n") or 1)
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_id = c.stable_id("chatcmpl-", model, _json(body["messages"]).decode())
        created = int(time.time())
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _chat_stream(
                completion_id, created, model, answer, n, cap, prompt_tokens, include_usage, call.chunks
            )
            return StreamReply(events, headers=_headers(completion_id))
        choices = []
        completion_tokens = 0
        for index in range(n):
            message, finish, tokens = _final_message(answer, cap)
            completion_tokens += tokens
            choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": finish})
        return JsonReply(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": choices,
                "usage": _usage(prompt_tokens, completion_tokens),
                "service_tier": "default",
                "system_fingerprint": FINGERPRINT,
            },
            headers=_headers(completion_id),
        )

    # ---- legacy completions
    async def completions(self, call: Call) -> Reply:
        body = call.body
        model = require_model(body)
        prompt = body.get("prompt")
        if prompt is None:
            raise ProviderError(400, "you must provide a prompt parameter", param="prompt")
        prompts = [prompt] if isinstance(prompt, str) else [str(p) for p in prompt] or [""]
        n = int(body.get("n") or 1)
        cap = body.get("max_tokens", 16)
        cid = c.stable_id("cmpl-", model, _json(prompt).decode())
        created = int(time.time())
        texts = []
        for p in prompts:
            text, cut = c.truncate_to_tokens(c.reply_text(p), cap)
            texts.extend([(text, "length" if cut else "stop")] * n)
        prompt_tokens = sum(c.count_tokens(p) for p in prompts)
        completion_tokens = sum(len(c.word_pieces(t)) for t, _ in texts)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream"):
            events = []
            base = {"id": cid, "object": "text_completion", "created": created, "model": model}
            for index, (text, finish) in enumerate(texts):
                for piece in c.group_pieces(c.word_pieces(text), call.chunks):
                    choice = {"text": piece, "index": index, "logprobs": None, "finish_reason": None}
                    events.append(_data({**base, "choices": [choice]}))
                last = {"text": "", "index": index, "logprobs": None, "finish_reason": finish}
                events.append(_data({**base, "choices": [last]}))
            if (body.get("stream_options") or {}).get("include_usage"):
                events.append(_data({**base, "choices": [], "usage": usage}))
            events.append(DONE)
            return StreamReply(events, headers=_headers(cid))
        choices = [
            {"text": text, "index": i, "logprobs": None, "finish_reason": finish}
            for i, (text, finish) in enumerate(texts)
        ]
        return JsonReply(
            {
                "id": cid,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": choices,
                "usage": usage,
                "system_fingerprint": FINGERPRINT,
            },
            headers=_headers(cid),
        )

    # ---- embeddings
    async def embeddings(self, call: Call) -> Reply:
        body = call.body
        model = require_model(body)
        inputs, tokens = _embedding_inputs(body.get("input"))
        fmt = body.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise ProviderError(
                400, f"Invalid value for 'encoding_format': {fmt!r}.", param="encoding_format"
            )
        dims = body.get("dimensions")
        if dims is not None and not model.startswith("text-embedding-3"):
            raise ProviderError(400, "This model does not support specifying dimensions.", param="dimensions")
        native = 3072 if "large" in model else 1536
        # as OpenAI: a model shortens its vectors, never lengthens them (an unbounded size would also
        # have the simulator build a vector as large as the client asks)
        sized = isinstance(dims, int) and not isinstance(dims, bool) and 1 <= dims <= native
        if dims is not None and not sized:
            raise ProviderError(
                400, f"Invalid 'dimensions': expected an integer from 1 to {native}.", param="dimensions"
            )
        size = dims or native
        data = []
        for index, text in enumerate(inputs):
            vector = c.embedding_vector(text, size)
            encoded: Any = c.embedding_base64(vector) if fmt == "base64" else list(vector)
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        return JsonReply(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    # ---- moderations and images (openai_media.py)
    async def moderations(self, call: Call) -> Reply:
        return JsonReply(moderation_reply(call.body))

    async def images(self, call: Call) -> Reply:
        return JsonReply(image_reply(call.body, require_model(call.body)))

    async def speech(self, call: Call) -> Reply:
        return speech_reply(call.body)

    async def variations(self, call: Call) -> Reply:
        return JsonReply(variation_reply(call.body))

    async def edits(self, call: Call) -> Reply:
        return JsonReply(edit_reply(call.body))

    async def transcriptions(self, call: Call) -> Reply:
        return transcription_reply(call.body)

    async def translations(self, call: Call) -> Reply:
        return translation_reply(call.body)

    async def azure_edits(self, call: Call) -> Reply:
        body = azure_body(call)
        return JsonReply(edit_reply(body, body["model"]))

    async def azure_transcriptions(self, call: Call) -> Reply:
        body = azure_body(call)
        return transcription_reply(body, body["model"])

    async def azure_translations(self, call: Call) -> Reply:
        body = azure_body(call)
        return translation_reply(body, body["model"])

    async def azure_images(self, call: Call) -> Reply:
        body = azure_body(call)
        return JsonReply(image_reply(body, str(body.get("model") or call.match["deployment"])))

    # ---- Azure OpenAI deployments: OpenAI's answers with the deployment as model, plus annotations
    async def azure_chat(self, call: Call) -> Reply:
        return _azure_annotated(await self.chat(dataclasses.replace(call, body=azure_body(call))))

    async def azure_completions(self, call: Call) -> Reply:
        return _azure_annotated(await self.completions(dataclasses.replace(call, body=azure_body(call))))

    async def azure_embeddings(self, call: Call) -> Reply:
        return await self.embeddings(dataclasses.replace(call, body=azure_body(call)))

    # ---- Hugging Face feature extraction: one vector per input text (a bare vector for a string)
    async def hf_feature_extraction(self, call: Call) -> Reply:
        body = call.body
        inputs = body.get("inputs") if isinstance(body, dict) else None
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ProviderError(422, "Input should be a valid string or list of strings: inputs")
        model = f"{call.match['org']}/{call.match['name']}"
        size = 384 if "MiniLM" in model else 768
        vectors = [list(c.embedding_vector(text, size)) for text in texts]
        return JsonReply(vectors[0] if isinstance(inputs, str) else vectors)

    # ---- models
    async def list_models(self, call: Call) -> Reply:
        return JsonReply({"object": "list", "data": [_model_card(m) for m in DEFAULT_MODELS]})

    async def get_model(self, call: Call) -> Reply:
        return JsonReply(_model_card(call.match["model"]))


# ---- helpers
class _Answer:
    """What the model will say: text, or a call of one tool."""

    __slots__ = ("arguments", "call_id", "text", "tool_name")

    def __init__(
        self, text: str | None = None, tool_name: str | None = None, arguments: str = "", call_id: str = ""
    ) -> None:
        self.text = text
        self.tool_name = tool_name
        self.arguments = arguments
        self.call_id = call_id


def _plan_answer(body: dict[str, Any]) -> _Answer:
    """Turn-aware and schema-correct: tool results since the last user turn are answered in text
    (unless a tool call is forced); otherwise the tool that fits the question is called; JSON mode
    answers an object for the schema given or described in the prompt; `stop` cuts the text."""
    messages = body["messages"]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    user_text = message_text(messages[last_user]) if last_user >= 0 else ""
    results = [message_text(m) for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    forced = choice == "required" or isinstance(choice, dict)
    if tools and choice != "none" and (forced or not results):
        fns = [t.get("function") or {} for t in tools]
        fn = fns[c.pick_tool([f.get("name", "") for f in fns], [f.get("description") or "" for f in fns],
                             user_text)]  # fmt: skip
        if isinstance(choice, dict):
            wanted = (choice.get("function") or {}).get("name")
            fn = next((f for f in fns if f.get("name") == wanted), fn)
        args = c.example_object(fn.get("parameters"), c.snippet(user_text, 8))
        arguments = _json(args).decode()
        call_id = c.stable_id("call_", fn.get("name", ""), arguments, user_text, str(len(messages)))
        return _Answer(tool_name=fn.get("name", ""), arguments=arguments, call_id=call_id)
    text = c.tool_result_reply(" ".join(results)) if results else c.reply_text(user_text)
    fmt = body.get("response_format") or {}
    if fmt.get("type") in ("json_object", "json_schema"):
        schema = (fmt.get("json_schema") or {}).get("schema")
        prompt = " ".join(message_text(m) for m in messages)
        text = _json(c.json_answer(schema, prompt, c.snippet(user_text, 8), text)).decode()
    else:
        text, _ = c.cut_at_stop(text, body.get("stop"))
    return _Answer(text=text)


def _final_message(answer: _Answer, cap: int | None) -> tuple[dict[str, Any], str, int]:
    """(message, finish_reason, completion tokens) for a non-streamed choice."""
    if answer.tool_name is not None:
        tool_call = {
            "id": answer.call_id,
            "type": "function",
            "function": {"name": answer.tool_name, "arguments": answer.arguments},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call], "refusal": None}
        return message, "tool_calls", c.count_tokens(answer.tool_name + answer.arguments) + 3
    text, cut = c.truncate_to_tokens(answer.text or "", cap)
    message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    return message, "length" if cut else "stop", len(c.word_pieces(text))


def _chat_stream(
    cid: str,
    created: int,
    model: str,
    answer: _Answer,
    n: int,
    cap: int | None,
    prompt_tokens: int,
    include_usage: bool,
    chunks: int | None,
) -> list[bytes]:
    base: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": FINGERPRINT,
    }
    if include_usage:
        base["usage"] = None  # as OpenAI: every chunk has the key, null until the last

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _data({**base, "choices": [choice]})

    events: list[bytes] = []
    completion_tokens = 0
    for index in range(n):
        if answer.tool_name is not None:
            head = {
                "index": 0,
                "id": answer.call_id,
                "type": "function",
                "function": {"name": answer.tool_name, "arguments": ""},
            }
            events.append(chunk(index, {"role": "assistant", "content": None, "tool_calls": [head]}))
            for piece in c.split_text(answer.arguments, chunks or 4):
                events.append(chunk(index, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
            events.append(chunk(index, {}, "tool_calls"))
            completion_tokens += c.count_tokens(answer.tool_name + answer.arguments) + 3
            continue
        text, cut = c.truncate_to_tokens(answer.text or "", cap)
        events.append(chunk(index, {"role": "assistant", "content": "", "refusal": None}))
        for piece in c.group_pieces(c.word_pieces(text), chunks):
            events.append(chunk(index, {"content": piece}))
        events.append(chunk(index, {}, "length" if cut else "stop"))
        completion_tokens += len(c.word_pieces(text))
    if include_usage:
        events.append(_data({**base, "choices": [], "usage": _usage(prompt_tokens, completion_tokens)}))
    events.append(DONE)
    return events


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _embedding_inputs(value: Any) -> tuple[list[str], int]:
    """(texts to embed, prompt tokens). Token-id inputs are embedded by their ids' text."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ProviderError(400, "'input' must be a non-empty string or array.", param="input")
    if all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))], len(value)
    texts: list[str] = []
    tokens = 0
    for item in value:
        if isinstance(item, str):
            if not item:
                raise ProviderError(400, "'input' cannot contain an empty string.", param="input")
            texts.append(item)
            tokens += c.count_tokens(item)
        elif isinstance(item, list) and all(isinstance(v, int) for v in item):
            texts.append(" ".join(map(str, item)))
            tokens += len(item)
        else:
            raise ProviderError(400, "'input' items must be strings or arrays of token ids.", param="input")
    return texts, tokens


def _context_error(window: int, tokens: int) -> ProviderError:
    return ProviderError(
        400,
        f"This model's maximum context length is {window} tokens. However, your messages resulted in "
        f"{tokens} tokens. Please reduce the length of the messages.",
        param="messages",
        code="context_length_exceeded",
    )


def _azure_annotated(reply: Reply) -> Reply:
    """Azure's content-filter annotations on an OpenAI answer: `prompt_filter_results` at the top (in a
    stream: a first chunk of its own, with empty choices and no id) and `content_filter_results` on
    every choice (empty where a stream chunk carries no text)."""
    if isinstance(reply, BytesReply):  # audio: nothing to annotate
        return reply
    prompt_results = [{"prompt_index": 0, "content_filter_results": AZURE_FILTER_RESULTS}]
    if isinstance(reply, JsonReply):
        for choice in reply.body["choices"]:
            choice["content_filter_results"] = AZURE_FILTER_RESULTS
        reply.body["prompt_filter_results"] = prompt_results
        return reply
    head = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": prompt_results,
    }
    events = [_data(head)]
    for event in reply.events:
        if event == DONE:
            events.append(event)
            continue
        chunk = _decode_event(event)
        for choice in chunk["choices"]:
            delta = choice.get("delta") or {}
            has_text = bool(delta.get("content") or choice.get("text"))
            choice["content_filter_results"] = AZURE_FILTER_RESULTS if has_text else {}
        events.append(_data(chunk))
    return StreamReply(events, headers=reply.headers)


def _decode_event(event: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(event.removeprefix(b"data: ").strip())
    return decoded


def _azure_content_filter_error() -> ProviderError:
    violence = {"filtered": True, "severity": "medium"}
    return ProviderError(
        400,
        "The response was filtered due to the prompt triggering Azure OpenAI's content management "
        "policy. Please modify your prompt and retry.",
        param="prompt",
        code="content_filter",
        innererror={
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {**AZURE_FILTER_RESULTS, "violence": violence},
        },
    )


def _model_card(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1700000000, "owned_by": "system"}


def _headers(request_id: str) -> dict[str, str]:
    return {"x-request-id": "req_" + request_id[-24:], "openai-processing-ms": "1"}
