"""Canonical requests → watsonx.ai bodies (cloud.ibm.com/apidocs/watsonx-ai): /ml/v1/text/chat,
/ml/v1/text/generation and /ml/v1/text/embeddings.

Every body names its model (`model_id`) and where it runs (`project_id` or `space_id`), except for a
model deployed in a space (`deployment/<id>`), which the URL names. The chat API takes OpenAI's
messages and sampling fields; a tool choice that is a mode ("auto", "none", "required") is its
`tool_choice_option`. Text generation takes one prompt (`input`) and its `parameters`.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from llmrelay.providers.watsonx.params import PROJECT_PARAMS, SPACE_PARAM
from llmrelay.types.chat import ChatRequest, ImagePart, Message, NamedToolChoice, TextPart
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError

DEPLOYMENT_PREFIX = "deployment/"
PROJECT_ENV = ("WATSONX_PROJECT_ID", "WX_PROJECT_ID")
SPACE_ENV = ("WATSONX_DEPLOYMENT_SPACE_ID", "WATSONX_SPACE_ID", "WX_SPACE_ID")
# ChatRequest fields the chat API takes under the same name
_CHAT_FIELDS = ("temperature", "top_p", "n", "stop", "presence_penalty", "frequency_penalty", "logprobs",
                "top_logprobs", "seed", "reasoning_effort")  # fmt: skip
_TOOL_MODES = frozenset({"auto", "none", "required"})


def scope(model: str, options: dict[str, Any], provider: str) -> dict[str, str]:
    """`model_id` and `project_id` (or `space_id`) of a body; nothing for a deployed model."""
    if model.startswith(DEPLOYMENT_PREFIX):
        return {}
    project = next((options[p] for p in PROJECT_PARAMS if options.get(p)), None) or _env(PROJECT_ENV)
    if project:
        return {"model_id": model, "project_id": str(project)}
    space = options.get(SPACE_PARAM) or _env(SPACE_ENV)
    if space:
        return {"model_id": model, "space_id": str(space)}
    raise BadRequestError(
        "watsonx needs the project or deployment space a model runs in: pass project_id= (or set "
        "WATSONX_PROJECT_ID) or space_id= (or set WATSONX_SPACE_ID)",
        provider=provider,
        param="project_id",
    )


def chat_body(request: ChatRequest, where: dict[str, str], provider: str) -> dict[str, Any]:
    body: dict[str, Any] = {**where, "messages": [_message(m, request, provider) for m in request.messages]}
    for name in _CHAT_FIELDS:
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    limit = request.max_output_tokens()
    if limit is not None:
        body["max_tokens"] = limit
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": msgspec.to_builtins(t.function)} for t in request.tools
        ]
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        body["tool_choice"] = msgspec.to_builtins(choice)
    elif choice in _TOOL_MODES:
        body["tool_choice_option"] = choice
    if request.response_format is not None:
        body["response_format"] = msgspec.to_builtins(request.response_format)
    body.update(request.extra_body or {})
    return body


def generation_body(request: ChatRequest, where: dict[str, str], provider: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    sampled = {k: getattr(request, k) for k in ("temperature", "top_p", "top_k")}
    parameters.update({k: v for k, v in sampled.items() if v is not None})
    # greedy decoding ignores the sampling knobs: asking for one asks for sampling (temperature 0
    # is greedy)
    if any(v is not None for v in sampled.values()):
        parameters["decoding_method"] = "greedy" if request.temperature == 0 else "sample"
    limit = request.max_output_tokens()
    if limit is not None:
        parameters["max_new_tokens"] = limit
    if request.seed is not None:
        parameters["random_seed"] = request.seed
    if request.stop is not None:
        parameters["stop_sequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    extra = dict(request.extra_body or {})
    extra_parameters = extra.pop("parameters", None)
    if isinstance(extra_parameters, dict):
        parameters.update(extra_parameters)
    body: dict[str, Any] = {**where, "input": prompt(request, provider)}
    if parameters:
        body["parameters"] = parameters
    body.update(extra)
    return body


def prompt(request: ChatRequest, provider: str) -> str:
    """One user turn is the prompt as it is; a conversation is written out turn by turn, ending
    where the assistant is to answer (no model's chat template is applied: use `watsonx/` for
    that, which the service templates itself)."""
    turns: list[tuple[str, str]] = []
    for message in request.messages:
        if message.tool_calls or message.role in ("tool", "function"):
            raise _refused(request, provider, "tool calls or results (use watsonx/ for tools)")
        if not isinstance(message.content, str | None) and any(
            not isinstance(p, TextPart) for p in message.content
        ):
            raise _refused(request, provider, "non-text content (use watsonx/ for images)")
        turns.append((message.role, message.text()))
    if len(turns) == 1 and turns[0][0] == "user":
        return turns[0][1]
    names = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}
    lines = [f"{names[role]}: {text}" for role, text in turns]
    return "\n\n".join([*lines, "Assistant:"])


def embedding_body(request: EmbeddingRequest, where: dict[str, str], provider: str) -> dict[str, Any]:
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    for field, ok in (("input", bool(texts) and len(texts) == count),
                      ("encoding_format", request.encoding_format in (None, "float")),
                      ("dimensions", request.dimensions is None)):  # fmt: skip
        if not ok:
            raise BadRequestError(
                f"watsonx embeds a string or a non-empty list of strings as floats, in the model's own "
                f"dimensions: {field} cannot be given as it was",
                provider=provider,
                model=request.model,
                param=field,
            )
    return {**where, "inputs": texts, **(request.extra_body or {})}


def _message(message: Message, request: ChatRequest, provider: str) -> dict[str, Any]:
    if message.role == "function":
        raise _refused(request, provider, "function-role messages (send tool messages)")
    out: dict[str, Any] = {"role": "system" if message.role == "developer" else message.role}
    content = message.content
    if isinstance(content, list) and message.role != "user":
        # system, assistant and tool turns take text only
        if any(not isinstance(p, TextPart) for p in content):
            raise _refused(request, provider, f"non-text content in {message.role} messages")
        out["content"] = message.text()
    elif isinstance(content, list):
        parts: list[dict[str, Any]] = []
        for part in content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                parts.append({"type": "image_url", "image_url": msgspec.to_builtins(part.image_url)})
            else:
                raise _refused(request, provider, f"{type(part).__name__} content")
        out["content"] = parts
    elif content is not None:
        out["content"] = content
    if message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [msgspec.to_builtins(c) for c in message.tool_calls]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def _refused(request: ChatRequest, provider: str, what: str) -> BadRequestError:
    return BadRequestError(
        f"provider {provider!r} does not take {what}",
        provider=provider,
        model=request.model,
        param="messages",
    )


encoder = msgspec.json.Encoder()


def _env(names: tuple[str, ...]) -> str | None:
    return next((v for v in map(os.environ.get, names) if v), None)
