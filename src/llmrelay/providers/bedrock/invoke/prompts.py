"""The text-prompt families of InvokeModel (Meta Llama, Mistral, Amazon Titan Text): each one's body,
its answer and its stream chunks, read as (text, finish reason, usage). Shapes from the Bedrock
model-parameters reference:

- Meta Llama 3+: `{"prompt", "max_gen_len", "temperature", "top_p"}`, the prompt in Llama 3's chat
  format; answers `{"generation", "prompt_token_count", "generation_token_count", "stop_reason"}`;
- Mistral: `{"prompt", "max_tokens", "temperature", "top_p", "top_k", "stop"}`, the prompt in
  `<s>[INST] ... [/INST]` form; answers `{"outputs": [{"text", "stop_reason"}]}`;
- Titan Text: `{"inputText", "textGenerationConfig": {"maxTokenCount", "temperature", "topP",
  "stopSequences"}}`, a `User: ...\\nBot:` prompt; answers `{"inputTextTokenCount", "results":
  [{"tokenCount", "outputText", "completionReason"}]}`, stream chunks `{"outputText",
  "completionReason", "inputTextTokenCount", "totalOutputTextTokenCount"}`.

A stream's last chunk carries `amazon-bedrock-invocationMetrics` (`inputTokenCount`,
`outputTokenCount`) for every family.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import BadRequestError

PROVIDER = "bedrock"
META_PARAMS = frozenset({"temperature", "top_p", "max_tokens", "max_completion_tokens"})
MISTRAL_PARAMS = META_PARAMS | {"top_k", "stop"}
TITAN_PARAMS = META_PARAMS | {"stop"}
_FINISH = {
    "stop": "stop", "length": "length", "finish": "stop", "stop_criteria_met": "stop", "max_tokens": "length",
    "content_filtered": "content_filter", "end_turn": "stop",
}  # fmt: skip


class Metrics(msgspec.Struct):
    inputTokenCount: int = 0
    outputTokenCount: int = 0


class Output(msgspec.Struct):
    text: str = ""
    stop_reason: str | None = None


class TitanResult(msgspec.Struct):
    outputText: str = ""
    tokenCount: int | None = None
    completionReason: str | None = None


class TextAnswer(msgspec.Struct, rename={"metrics": "amazon-bedrock-invocationMetrics"}):
    """An answer or stream chunk of any text-prompt family (each sets its own fields)."""

    generation: str | None = None  # meta
    prompt_token_count: int | None = None
    generation_token_count: int | None = None
    stop_reason: str | None = None
    outputs: list[Output] | None = None  # mistral
    outputText: str | None = None  # titan (stream chunk)
    completionReason: str | None = None
    inputTextTokenCount: int | None = None
    totalOutputTextTokenCount: int | None = None
    results: list[TitanResult] | None = None  # titan (answer)
    metrics: Metrics | None = None

    def read(self) -> tuple[str, str | None]:
        """(text, OpenAI finish reason or None)."""
        if self.outputs:
            first = self.outputs[0]
            return first.text, finish(first.stop_reason)
        if self.results:
            first_result = self.results[0]
            return first_result.outputText, finish(first_result.completionReason)
        if self.outputText is not None:
            return self.outputText, finish(self.completionReason)
        return self.generation or "", finish(self.stop_reason)

    def usage(self) -> tuple[int, int] | None:
        """(prompt, completion) tokens, when the answer says."""
        if self.metrics is not None:
            return self.metrics.inputTokenCount, self.metrics.outputTokenCount
        if self.prompt_token_count is not None and self.generation_token_count is not None:
            return self.prompt_token_count, self.generation_token_count
        if self.results and self.inputTextTokenCount is not None:
            return self.inputTextTokenCount, sum(r.tokenCount or 0 for r in self.results)
        return None


text_answer = msgspec.json.Decoder(TextAnswer)


def finish(reason: str | None) -> str | None:
    return _FINISH.get(reason.lower(), "stop") if reason else None


def _text(message: Message) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    texts = [getattr(part, "text", None) for part in content or []]
    if message.tool_calls or message.role == "tool" or any(not isinstance(t, str) for t in texts):
        raise BadRequestError(
            "this Bedrock model family takes a text prompt through InvokeModel: only text messages "
            "(use bedrock/converse/ for tools and images)",
            provider=PROVIDER,
            param="messages",
        )
    return "".join(t for t in texts if isinstance(t, str))


def _turns(request: ChatRequest) -> tuple[str, list[tuple[str, str]]]:
    system = "\n\n".join(_text(m) for m in request.messages if m.role in ("system", "developer"))
    turns = [(str(m.role), _text(m)) for m in request.messages if m.role not in ("system", "developer")]
    if not turns:
        raise BadRequestError("Bedrock needs at least one user message", provider=PROVIDER, param="messages")
    return system, turns


def meta_body(request: ChatRequest) -> dict[str, Any]:
    system, turns = _turns(request)
    prompt = "<|begin_of_text|>"
    for role, text in ([("system", system)] if system else []) + turns:
        prompt += f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>"
    body: dict[str, Any] = {"prompt": prompt + "<|start_header_id|>assistant<|end_header_id|>\n\n"}
    _sampling(body, request, max_name="max_gen_len")
    return body


def mistral_body(request: ChatRequest) -> dict[str, Any]:
    system, turns = _turns(request)
    prompt = "<s>"
    for i, (role, text) in enumerate(turns):
        if role == "assistant":
            prompt += f"{text}</s>"
        else:
            first = system and i == 0
            prompt += f"[INST] {system + chr(10) * 2 + text if first else text} [/INST]"
    body: dict[str, Any] = {"prompt": prompt}
    _sampling(body, request, max_name="max_tokens")
    if request.top_k is not None:
        body["top_k"] = request.top_k
    if request.stop:
        body["stop"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    return body


def titan_body(request: ChatRequest) -> dict[str, Any]:
    system, turns = _turns(request)
    lines = [system] if system else []
    lines += [f"{'Bot' if role == 'assistant' else 'User'}: {text}" for role, text in turns]
    config: dict[str, Any] = {}
    _sampling(config, request, max_name="maxTokenCount", top_p="topP")
    if request.stop:
        config["stopSequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    body: dict[str, Any] = {"inputText": "\n".join(lines) + "\nBot:"}
    if config:
        body["textGenerationConfig"] = config
    return body


def _sampling(body: dict[str, Any], request: ChatRequest, *, max_name: str, top_p: str = "top_p") -> None:
    limit = request.max_output_tokens()
    if limit is not None:
        body[max_name] = limit
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body[top_p] = request.top_p
