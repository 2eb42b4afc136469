"""LiteLLM's `_hidden_params`: the dict SDK users read on an answer (a stream's `hidden_params`) to
learn what served it and what it cost. Inside the package that is the typed `Served` record
(calls/served.py); this view of it is built only at the SDK edge — the Client's calls (sdk/run.py),
the Router's keyword calls (router/sdk.py) and the Responses API over them — never on the gateway's
path, whose readers take `served_of`.

Details an adapter's parse put in the dict (Gemini's safety ratings, Bedrock's metrics, Cohere's
citations...) have no field in the record: they stay, and the record's fields win over them."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from llmrelay.calls.served import Served, served_of
from llmrelay.core.stream_view import ChatStreamView
from llmrelay.core.streaming import ChatStream
from llmrelay.types.response import hidden_params

A = TypeVar("A")


def hidden_params_of(served: Served) -> dict[str, Any]:
    """The record in LiteLLM's `_hidden_params` shape: llmrelay's names, and LiteLLM's for the same
    facts (`custom_llm_provider`, `model_id`: the deployment's `model_info.id`, `response_cost` in
    USD), which LiteLLM users' code reads."""
    params: dict[str, Any] = {
        "provider": served.provider,
        "custom_llm_provider": served.provider,
        "model": served.model,
        "deployment_id": served.deployment_id,
        "model_id": served.deployment_id,
        "model_group": served.model_group,
        "api_base": served.api_base,
        "attempts": served.attempts,
        "fallback_from": served.fallback_from,
        "cost_micros": served.cost_micros,
        "response_cost": served.cost_micros / 1_000_000,
    }
    if served.mock:
        params["mock"] = True
    if served.cache_hit:
        params["cache_hit"] = True
    if served.cache_key is not None:
        params["cache_key"] = served.cache_key
    return params


def with_hidden_params(answer: A) -> A:
    """`answer` with its `_hidden_params` view written from its Served record; a stream's
    `hidden_params` without the cost, which is known only at its end (`stream.cost_micros`)."""
    params = hidden_params_of(served_of(answer))
    if isinstance(answer, ChatStream | ChatStreamView):
        del params["cost_micros"], params["response_cost"]
        answer.hidden_params.update(params)
    elif isinstance(answer, msgspec.Struct):  # every answer type is one
        hidden_params(answer).update(params)
    return answer
