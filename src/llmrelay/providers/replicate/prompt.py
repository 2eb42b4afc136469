"""A chat request as a Replicate language model's `input`: a `prompt` (and `system_prompt`) built from
the messages, the sampling settings under the input names these models take, and the caller's
`extra_body` keys (e.g. `prompt_template`, `min_tokens`) on top.

Replicate models take text, not a message list: one user turn is sent as it is; a conversation is
written out as `role: text` lines ending with `assistant:`. System text goes in `system_prompt`
(which the hosted language models take) unless the deployment sets `supports_system_prompt: false`,
in which case it opens the prompt.
"""

from __future__ import annotations

from typing import Any

from llmrelay.providers.replicate.models import PROVIDER
from llmrelay.types.chat import ChatRequest, Message, TextPart
from llmrelay.types.errors import BadRequestError

# older models name the output cap `max_new_tokens`; newer ones (Llama 3, DeepSeek, Granite...) `max_tokens`
_MAX_NEW_TOKENS_MODELS = ("meta/llama-2-", "mistralai/mistral-7b", "mistralai/mixtral-8x7b")
_SAME_NAME = ("temperature", "top_p", "top_k", "presence_penalty", "frequency_penalty", "seed")


def build_input(request: ChatRequest, model: str, options: dict[str, Any]) -> dict[str, Any]:
    system, turns = _split(request.messages)
    takes_system = options.get("supports_system_prompt", True) is not False
    prompt = _prompt(turns)
    data: dict[str, Any] = {}
    if system and takes_system:
        data["prompt"] = prompt
        data["system_prompt"] = system
    else:
        data["prompt"] = f"{system}\n\n{prompt}" if system else prompt
    cap = request.max_output_tokens()
    if cap is not None:
        data[cap_field(model, options)] = cap
    for name in _SAME_NAME:
        value = getattr(request, name)
        if value is not None:
            data[name] = value
    stops = [request.stop] if isinstance(request.stop, str) else request.stop
    if stops:
        # the hosted language models take stop sequences as one comma-separated string
        data["stop_sequences"] = ",".join(stops)
    if request.extra_body:
        data.update(request.extra_body)
    return data


def cap_field(model: str, options: dict[str, Any]) -> str:
    """The input name of the output-token cap: the deployment's `max_tokens_field`, else by model."""
    field = options.get("max_tokens_field")
    if isinstance(field, str) and field:
        return field
    return "max_new_tokens" if model.startswith(_MAX_NEW_TOKENS_MODELS) else "max_tokens"


def prompt_text(input_: dict[str, Any]) -> str:
    """The text a prediction's input carries (what its prompt tokens are counted from)."""
    parts = [input_.get("system_prompt"), input_.get("prompt")]
    return "\n\n".join(p for p in parts if isinstance(p, str) and p)


def _split(messages: list[Message]) -> tuple[str, list[Message]]:
    system: list[str] = []
    turns: list[Message] = []
    for message in messages:
        _check_text_only(message)
        if message.role in ("system", "developer"):
            system.append(message.text())
        else:
            turns.append(message)
    if not turns:
        raise BadRequestError(
            "a Replicate prompt needs at least one user message", provider=PROVIDER, param="messages"
        )
    return "\n\n".join(s for s in system if s), turns


def _prompt(turns: list[Message]) -> str:
    if len(turns) == 1 and turns[0].role == "user":
        return turns[0].text()
    lines = [f"{_label(m)}: {m.text()}" for m in turns]
    return "\n".join([*lines, "assistant:"])


def _label(message: Message) -> str:
    return "user" if message.role in ("tool", "function") else message.role


def _check_text_only(message: Message) -> None:
    if message.tool_calls:
        raise BadRequestError(
            "Replicate language models take no tool calls", provider=PROVIDER, param="messages"
        )
    if isinstance(message.content, list) and not all(isinstance(p, TextPart) for p in message.content):
        raise BadRequestError(
            "Replicate prompts are text: image, audio and file parts cannot be sent",
            provider=PROVIDER,
            param="messages",
        )
