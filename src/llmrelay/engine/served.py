"""What the engine says served an answer: the `Served` record (calls/served.py) of the deployment
that answered, attached to the response or stream it returns."""

from __future__ import annotations

from llmrelay.calls.served import Served, served_of
from llmrelay.types.deployment import Deployment


def served_by(deployment: Deployment, cost_micros: int, *, mock: bool = False) -> Served:
    return Served(
        provider=deployment.provider,
        model=deployment.qualified_model,
        deployment_id=deployment.id,
        model_group=deployment.model_name,
        api_base=deployment.api_base,
        cost_micros=cost_micros,
        mock=mock,
    )


def attach(answer: object, served: Served) -> None:
    """`attach_served`, plus — for the transition — LiteLLM's `_hidden_params` view of the record,
    which readers not yet on `served_of` still take (router/runner.py, proxy/, cache/, client.py,
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
