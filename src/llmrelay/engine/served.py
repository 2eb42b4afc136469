"""What the engine says served an answer: the `Served` record (calls/served.py) of the deployment
that answered, attached to the response or stream it returns."""

from __future__ import annotations

from llmrelay.calls.served import Served, served_of
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
    """What serves a stream (no cost yet: known at its end), and — for the transition — its
    hidden-params view as a stream's always was: the deployment (and `mock`). One step, as it is
    on every stream's path."""
    model = deployment.qualified_model
    stream._served = Served(
        deployment.provider, model, deployment.id, deployment.model_name, deployment.api_base,
        1, None, 0, mock,
    )  # fmt: skip
    stream.hidden_params = {
        "provider": deployment.provider,
        "model": model,
        "deployment_id": deployment.id,
        "model_group": deployment.model_name,
        "api_base": deployment.api_base,
    }
    if mock:
        stream.hidden_params["mock"] = True


def attach(answer: object, served: Served) -> None:
    """`attach_served`, plus — for the transition — LiteLLM's `_hidden_params` view of the record,
    which readers not yet on `served_of` still take (router/runner.py, proxy/, cache/, sdk/,
    cost/api.py). Details an adapter's parse put there (Gemini's, Bedrock's...) are kept; the
    record's fields win, as the engine's always did. Goes once those readers read `served_of`."""
    answer._served = served  # type: ignore[attr-defined]
    params = served.hidden_params()
    found = getattr(answer, "_hidden_params", None)
    if found is None:
        answer._hidden_params = params  # type: ignore[attr-defined]
    else:
        found.update(params)


def served_via(answer: object, inner: object) -> None:
    """`answer` was made of `inner` (a text completion of a chat answer): what served `inner`
    served it, and its hidden-params view is the same dict (as it always was)."""
    answer._served = served_of(inner)  # type: ignore[attr-defined]
    found = getattr(inner, "_hidden_params", None)
    if found is not None:
        answer._hidden_params = found  # type: ignore[attr-defined]
