"""The Bedrock simulator's InvokeModel for chat models (`/model/{id}/invoke` and
`/invoke-with-response-stream`), each family answering in its own shape: Anthropic's Messages
(`anthropic_version: bedrock-2023-05-31` required, no `model`), Amazon Nova's messages-v1, Meta
Llama's and Mistral's `prompt`, Titan Text's `inputText`. Streams are `chunk` events carrying
`{"bytes": <base64 of the family's chunk JSON>}`; the last chunk carries
`amazon-bedrock-invocationMetrics`. Non-stream answers carry the token counts in
`x-amzn-bedrock-input-token-count` / `-output-token-count` headers, as InvokeModel's do.
"""

from __future__ import annotations

import base64
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import JsonReply, ProviderError, Reply, StreamReply
from llmrelay.testing.base import encode_json as _json
from llmrelay.testing.bedrock_validate import VALIDATION
from llmrelay.testing.bedrock_wire import event

_GEOGRAPHIES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")


def _invalid(message: str) -> ProviderError:
    return ProviderError(400, message, error_type=VALIDATION)


def _chunk(value: dict[str, Any]) -> bytes:
    return event("chunk", _json({"bytes": base64.b64encode(_json(value)).decode()}))


def _metrics(prompt: int, output: int) -> dict[str, int]:
    return {
        "inputTokenCount": prompt,
        "outputTokenCount": output,
        "invocationLatency": 120,
        "firstByteLatency": 40,
    }


def _texts(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_texts(v.get("text", "")) if isinstance(v, dict) else _texts(v) for v in value)
    return ""


def invoke_chat(model: str, body: Any, stream: bool, chunks: int | None) -> Reply | None:
    """The family's answer, or None when `model` is not a chat model the simulator knows."""
    vendor = model.split("/")[-1]
    for geography in _GEOGRAPHIES:
        vendor = vendor.removeprefix(geography)
    if not isinstance(body, dict):
        raise _invalid("Malformed input request, please reformat your input and try again.")
    if vendor.startswith("anthropic."):
        return _anthropic(body, stream, chunks)
    if vendor.startswith("amazon.nova"):
        return _nova(body, stream, chunks)
    if vendor.startswith(("meta.", "mistral.", "amazon.titan-text")):
        return _prompted(
            vendor.split(".")[0] if not vendor.startswith("amazon") else "titan", body, stream, chunks
        )
    return None


def _anthropic(body: dict[str, Any], stream: bool, chunks: int | None) -> Reply:
    if body.get("anthropic_version") != "bedrock-2023-05-31":
        raise _invalid("Malformed input request: #: required key [anthropic_version] not found")
    if "model" in body or "stream" in body:
        raise _invalid("Malformed input request: #: extraneous key [model] is not permitted")
    if not isinstance(body.get("max_tokens"), int) or not isinstance(body.get("messages"), list):
        raise _invalid("Malformed input request: #: required key [max_tokens] not found")
    user = _texts(body["messages"][-1].get("content")) if body["messages"] else ""
    text, cut = c.truncate_to_tokens(c.reply_text(user), body["max_tokens"])
    prompt, output = c.count_tokens(_texts(body.get("system", "")) + user), c.count_tokens(text)
    stop = "max_tokens" if cut else "end_turn"
    ident = c.stable_id("msg_bdrk_", user)
    message = {"id": ident, "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620"}
    if not stream:
        answer = {
            **message,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": output},
        }
        return JsonReply(answer, headers=_count_headers(prompt, output))
    events = [
        _chunk(
            {
                "type": "message_start",
                "message": {
                    **message,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": prompt, "output_tokens": 1},
                },
            }
        ),
        _chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    for piece in c.group_pieces(c.word_pieces(text), chunks):
        events.append(
            _chunk(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
            )
        )
    events.append(_chunk({"type": "content_block_stop", "index": 0}))
    events.append(
        _chunk(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output},
            }
        )
    )
    events.append(
        _chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": _metrics(prompt, output)})
    )
    return StreamReply(events)


def _nova(body: dict[str, Any], stream: bool, chunks: int | None) -> Reply:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _invalid("Malformed input request: #: required key [messages] not found")
    limit = (body.get("inferenceConfig") or {}).get("maxTokens")
    user = _texts(messages[-1].get("content"))
    text, cut = c.truncate_to_tokens(c.reply_text(user), limit)
    prompt, output = c.count_tokens(user), c.count_tokens(text)
    stop = "max_tokens" if cut else "end_turn"
    usage = {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}
    if not stream:
        answer = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop,
            "usage": usage,
        }
        return JsonReply(answer, headers=_count_headers(prompt, output))
    events = [_chunk({"messageStart": {"role": "assistant"}})]
    for piece in c.group_pieces(c.word_pieces(text), chunks):
        events.append(_chunk({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}}))
    events.append(_chunk({"contentBlockStop": {"contentBlockIndex": 0}}))
    events.append(_chunk({"messageStop": {"stopReason": stop}}))
    events.append(
        _chunk(
            {
                "metadata": {"usage": usage, "metrics": {}, "trace": {}},
                "amazon-bedrock-invocationMetrics": _metrics(prompt, output),
            }
        )
    )
    return StreamReply(events)


def _prompted(family: str, body: dict[str, Any], stream: bool, chunks: int | None) -> Reply:
    key = "inputText" if family == "titan" else "prompt"
    prompt_text = body.get(key)
    if not isinstance(prompt_text, str) or not prompt_text:
        raise _invalid(f"Malformed input request: #: required key [{key}] not found")
    config = body.get("textGenerationConfig") or {}
    limit = {"meta": body.get("max_gen_len"), "mistral": body.get("max_tokens")}.get(
        family, config.get("maxTokenCount")
    )
    text, cut = c.truncate_to_tokens(c.reply_text(prompt_text), limit)
    prompt, output = c.count_tokens(prompt_text), c.count_tokens(text)
    reason = {"titan": "LENGTH" if cut else "FINISH"}.get(family, "length" if cut else "stop")
    if not stream:
        return JsonReply(
            _answer(family, text, reason, prompt, output), headers=_count_headers(prompt, output)
        )
    pieces = c.group_pieces(c.word_pieces(text), chunks)
    events = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk = _piece(family, piece, reason if last else None, prompt, i + 1)
        if last:
            chunk["amazon-bedrock-invocationMetrics"] = _metrics(prompt, output)
        events.append(_chunk(chunk))
    return StreamReply(events)


def _answer(family: str, text: str, reason: str, prompt: int, output: int) -> dict[str, Any]:
    if family == "meta":
        return {
            "generation": text,
            "prompt_token_count": prompt,
            "generation_token_count": output,
            "stop_reason": reason,
        }
    if family == "mistral":
        return {"outputs": [{"text": text, "stop_reason": reason}]}
    return {
        "inputTextTokenCount": prompt,
        "results": [{"tokenCount": output, "outputText": text, "completionReason": reason}],
    }


def _piece(family: str, text: str, reason: str | None, prompt: int, count: int) -> dict[str, Any]:
    if family == "meta":
        return {
            "generation": text,
            "prompt_token_count": prompt if count == 1 else None,
            "generation_token_count": count,
            "stop_reason": reason,
        }
    if family == "mistral":
        return {"outputs": [{"text": text, "stop_reason": reason}]}
    return {
        "outputText": text,
        "index": 0,
        "totalOutputTextTokenCount": count,
        "completionReason": reason,
        "inputTextTokenCount": prompt if count == 1 else None,
    }


def _count_headers(prompt: int, output: int) -> dict[str, str]:
    return {"x-amzn-bedrock-input-token-count": str(prompt), "x-amzn-bedrock-output-token-count": str(output)}
