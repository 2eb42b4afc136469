"""What the engine says served an answer: the `Served` record (calls/served.py) of the deployment
that answered, attached to the response or stream it returns."""

from __future__ import annotations

from llmrelay.calls.served import Served, attach_served, served_of
from llmrelay.core.streaming import ChatStream
from llmrelay.types.deployment import Deployment


def served_by(deployment: Deployment, cost_micros: int, *, mock: bool = False) -> Served:
    # positional (provider, model, deployment_id, model_group, api_base, attempts, fallback_from,
    # cost_micros, mock): built for every answer, and keywords cost more to match
    return Served(
        deployment.provider, deployment.qualified_model, deployment.id, deployment.model_name,
        deployment.api_base, 1, None, cost_micros, mock,
    )  # fmt: skip


def attach_to_stream(stream: ChatStream, deployment: Deployment, *, mock: bool = False) -> None:
    """What serves a stream (no cost yet: it is known at its end, in `stream.cost_micros`)."""
    stream._served = Served(
        deployment.provider, deployment.qualified_model, deployment.id, deployment.model_name,
        deployment.api_base, 1, None, 0, mock,
    )  # fmt: skip


def served_via(answer: object, inner: object) -> None:
    """`answer` was made of `inner` (a text completion of a chat answer): what served `inner`
    served it. The details `inner`'s adapter noted for SDK callers (its `_hidden_params`, which
    the SDK edge shows with the record) are `answer`'s too."""
    attach_served(answer, served_of(inner))
    found = getattr(inner, "_hidden_params", None)
    if found is not None:
        answer._hidden_params = found  # type: ignore[attr-defined]
