"""A simulator of Cohere's v2 API: /v2/chat (JSON, and with `"stream": true` the SSE event sequence:
message-start, content-start/-delta/-end, tool-plan-delta, tool-call-start/-delta/-end, message-end
with finish_reason and usage) and /v2/embed, with Cohere's bearer-key check, field validation and
error envelopes ({"id", "message"}), and /v2/rerank (a deterministic score: the share of the
query's words a document contains)."""

from __future__ import annotations

import math
import re
import uuid
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
from llmrelay.testing.base import sse_event as _event
from llmrelay.testing.cohere_validate import (
    check_chat_request,
    check_embed_request,
    check_rerank_request,
    text_of,
)

# tokens Cohere's own prompt wraps around the messages: counted in usage.tokens, not billed
PROMPT_OVERHEAD_TOKENS = 12
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
# embedding sizes by model (embed-v4.0 and later take output_dimension)
_EMBED_SIZES = {"light": 384, "v3": 1024}
_OUTPUT_DIMENSIONS = (256, 512, 1024, 1536)


def _stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(c.stable_id("", *parts, length=32)))


class CohereSimulator(ProviderSimulator):
    kind = "cohere"
    api_base_path = ""  # the API root; clients add /v2/chat and /v2/embed
    default_context_window = 256_000

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v2/chat", self.chat),
            ("POST", "/v2/embed", self.embed),
            ("POST", "/v2/rerank", self.rerank),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"id": _stable_uuid("error", str(status), message), "message": message}

    def stream_error_event(self, status: int, message: str) -> bytes:
        # a generation that fails after the 200 ends with message-end carrying the error
        return _event(
            "message-end",
            {"type": "message-end", "delta": {"error": message, "finish_reason": "ERROR"}},
        )

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
        if not key:
            return ProviderError(401, "no api key supplied")
        if not self.key_accepted(key):
            return ProviderError(401, "invalid api token")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return self._too_many_tokens(self.settings.context_window + 1)
        # Cohere has no content-filter stop: its safety modes make the model decline in text
        return self._chat(call, refused=True)

    def _too_many_tokens(self, received: int) -> ProviderError:
        window = self.settings.context_window
        return ProviderError(
            400,
            f"too many tokens: total number of tokens in the prompt cannot exceed {window} - received "
            f"{received}. Try using a shorter prompt, or enabling prompt truncating. See "
            "https://docs.cohere.com/reference/generate for more details.",
        )

    # ---- endpoints
    async def chat(self, call: Call) -> Reply:
        return self._chat(call, refused=False)

    def _chat(self, call: Call, *, refused: bool) -> Reply:
        body = call.body
        check_chat_request(body)
        prompt_tokens = _prompt_tokens(body)
        if prompt_tokens > self.settings.context_window:
            raise self._too_many_tokens(prompt_tokens)
        answer = _answer(body, refused=refused)
        output_tokens = answer.output_tokens()
        usage = {
            "billed_units": {"input_tokens": prompt_tokens, "output_tokens": output_tokens},
            "tokens": {
                "input_tokens": prompt_tokens + PROMPT_OVERHEAD_TOKENS,
                "output_tokens": output_tokens,
            },
        }
        response_id = _stable_uuid(body["model"], _json(body["messages"]).decode())
        if body.get("stream"):
            return StreamReply(answer.events(response_id, usage, call.chunks))
        return JsonReply(
            {"id": response_id, "message": answer.message(), "finish_reason": answer.finish, "usage": usage}
        )

    async def rerank(self, call: Call) -> Reply:
        body = call.body
        check_rerank_request(body)
        documents: list[str] = body["documents"]
        scored = sorted(
            ((rerank_score(body["query"], d), i) for i, d in enumerate(documents)),
            key=lambda s: (-s[0], s[1]),
        )
        top_n = body.get("top_n") or len(documents)
        return JsonReply(
            {
                "id": _stable_uuid("rerank", body["model"], body["query"], *documents),
                "results": [{"index": i, "relevance_score": score} for score, i in scored[:top_n]],
                "meta": {
                    "api_version": {"version": "2"},
                    "billed_units": {"search_units": math.ceil(len(documents) / 100)},
                },
            }
        )

    async def embed(self, call: Call) -> Reply:
        body = call.body
        check_embed_request(body)
        model = str(body["model"])
        size = _embedding_size(model, body.get("output_dimension"))
        texts = body["texts"]
        by_type: dict[str, Any] = {}
        if "float" in body["embedding_types"]:
            by_type["float"] = [list(c.embedding_vector(t, size)) for t in texts]
        return JsonReply(
            {
                "id": _stable_uuid("embed", model, *texts),
                "texts": texts,
                "embeddings": by_type,
                "meta": {
                    "api_version": {"version": "2"},
                    "billed_units": {"input_tokens": sum(c.count_tokens(t) for t in texts)},
                },
                "response_type": "embeddings_by_type",
            }
        )


def rerank_score(query: str, document: str) -> float:
    """The share of the query's words found in the document, nudged by a stable hash so that ties
    still order the same way on every run."""
    wanted = set(_WORDS.findall(query.lower()))
    found = set(_WORDS.findall(document.lower()))
    share = len(wanted & found) / len(wanted) if wanted else 0.0
    nudge = int(c.stable_id("", query, document, length=4), 16) / 0xFFFF / 1000
    return round(min(1.0, share * 0.99 + nudge), 6)


_WORDS = re.compile(r"\w+")


def _embedding_size(model: str, output_dimension: Any) -> int:
    if output_dimension is not None:
        if "v3" in model or output_dimension not in _OUTPUT_DIMENSIONS:
            raise ProviderError(
                400,
                "invalid request: output_dimension is only supported for embed-v4.0 and newer models, "
                f"with one of {', '.join(map(str, _OUTPUT_DIMENSIONS))}",
            )
        return int(output_dimension)
    if "light" in model:
        return _EMBED_SIZES["light"]
    if "v3" in model:
        return _EMBED_SIZES["v3"]
    return 1536


def _prompt_tokens(body: dict[str, Any]) -> int:
    tokens = 0
    for message in body["messages"]:
        tokens += c.count_tokens(text_of(message.get("content")))
        for call in message.get("tool_calls") or ():
            tokens += c.count_tokens(_json(call).decode())
        if message.get("tool_plan"):
            tokens += c.count_tokens(message["tool_plan"])
    if body.get("tools"):
        tokens += c.count_tokens(_json(body["tools"]).decode())
    return tokens


class _Answer:
    """The simulated reply: optional thinking, then text, or a tool plan and calls."""

    def __init__(self) -> None:
        self.thinking: str | None = None
        self.text: str | None = None
        self.tool_plan: str | None = None
        self.tool_calls: list[dict[str, Any]] = []
        self.finish = "COMPLETE"

    def output_tokens(self) -> int:
        tokens = len(c.word_pieces(self.thinking or "")) + len(c.word_pieces(self.text or ""))
        tokens += len(c.word_pieces(self.tool_plan or ""))
        return tokens + sum(c.count_tokens(_json(call["function"]).decode()) for call in self.tool_calls)

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant"}
        if self.tool_calls:
            message["tool_plan"] = self.tool_plan
            message["tool_calls"] = self.tool_calls
            return message
        blocks: list[dict[str, Any]] = []
        if self.thinking is not None:
            blocks.append({"type": "thinking", "thinking": self.thinking})
        blocks.append({"type": "text", "text": self.text or ""})
        message["content"] = blocks
        return message

    def events(self, response_id: str, usage: dict[str, Any], chunks: int | None) -> list[bytes]:
        start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
        events = [
            _event("message-start", {"id": response_id, "type": "message-start", "delta": {"message": start}})
        ]
        if self.tool_calls:
            for piece in c.group_pieces(c.word_pieces(self.tool_plan or ""), chunks):
                events.append(
                    _event(
                        "tool-plan-delta",
                        {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}},
                    )
                )
            for index, call in enumerate(self.tool_calls):
                events.extend(_tool_call_events(index, call, chunks))
        else:
            index = 0
            if self.thinking is not None:
                events.extend(_content_events(index, "thinking", self.thinking, chunks))
                index += 1
            events.extend(_content_events(index, "text", self.text or "", chunks))
        end = {"type": "message-end", "delta": {"finish_reason": self.finish, "usage": usage}}
        events.append(_event("message-end", end))
        return events


def _content_events(index: int, kind: str, text: str, chunks: int | None) -> list[bytes]:
    def frame(name: str, content: dict[str, Any] | None) -> bytes:
        payload: dict[str, Any] = {"type": name, "index": index}
        if content is not None:
            payload["delta"] = {"message": {"content": content}}
        return _event(name, payload)

    events = [frame("content-start", {"type": kind, kind: ""})]
    events.extend(
        frame("content-delta", {kind: piece}) for piece in c.group_pieces(c.word_pieces(text), chunks)
    )
    events.append(frame("content-end", None))
    return events


def _tool_call_events(index: int, call: dict[str, Any], chunks: int | None) -> list[bytes]:
    head = {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["function"]["name"], "arguments": ""},
    }
    events = [
        _event(
            "tool-call-start",
            {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": head}}},
        )
    ]
    for piece in c.split_text(call["function"]["arguments"], chunks or 4):
        delta = {"message": {"tool_calls": {"function": {"arguments": piece}}}}
        events.append(_event("tool-call-delta", {"type": "tool-call-delta", "index": index, "delta": delta}))
    events.append(_event("tool-call-end", {"type": "tool-call-end", "index": index}))
    return events


def _answer(body: dict[str, Any], *, refused: bool) -> _Answer:
    messages = body["messages"]
    answer = _Answer()
    user_text = next((text_of(m.get("content")) for m in reversed(messages) if m["role"] == "user"), "")
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled":
        answer.thinking = "Thinking about: " + (c.snippet(user_text, 12) or "the request")
    if refused:
        answer.text = REFUSAL_TEXT
        return answer
    results: list[str] = []
    for message in reversed(messages):
        if message["role"] != "tool":
            break
        results.insert(0, text_of(message.get("content")))
    tools = body.get("tools") or []
    forced = body.get("tool_choice") == "REQUIRED"
    if tools and body.get("tool_choice") != "NONE" and (forced or not results):
        functions = [t["function"] for t in tools]
        function = functions[
            c.pick_tool(
                [f["name"] for f in functions], [f.get("description") or "" for f in functions], user_text
            )
        ]
        args = c.example_object(function.get("parameters"), c.snippet(user_text, 8))
        arguments = _json(args).decode()
        answer.tool_plan = f"I will use {function['name']} to answer."
        # Cohere's call ids read `<function name>_<random suffix>`
        suffix = c.stable_id("", function["name"], arguments, user_text, length=12)
        answer.tool_calls = [
            {
                "id": f"{function['name']}_{suffix}",
                "type": "function",
                "function": {"name": function["name"], "arguments": arguments},
            }
        ]
        answer.finish = "TOOL_CALL"
        return answer
    text = c.tool_result_reply(" ".join(results)) if results else c.reply_text(user_text)
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_object":
        prompt = " ".join(text_of(m.get("content")) for m in messages)
        text = _json(c.json_answer(fmt.get("json_schema"), prompt, c.snippet(user_text, 8), text)).decode()
    for stop in body.get("stop_sequences") or ():
        at = text.find(stop)
        if stop and at >= 0:
            text, answer.finish = text[:at], "STOP_SEQUENCE"
            break
    text, cut = c.truncate_to_tokens(text, body.get("max_tokens"))
    if cut:
        answer.finish = "MAX_TOKENS"
    answer.text = text
    return answer
