"""Pre-call checks: leave out deployments whose context window is too small for the prompt, or that
cannot take the request's features (tools, images, JSON schema), per model_info and the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llmrelay.cost.catalog import Catalog
from llmrelay.cost.tokens import token_counter
from llmrelay.router.deployments import RouterDeployment
from llmrelay.types.chat import ChatRequest, ImagePart
from llmrelay.types.errors import BadRequestError, ContextWindowExceededError

# request feature → (catalog capability, model_info flag in LiteLLM's spelling)
_FEATURES = {
    "tools": ("function_calling", "supports_function_calling"),
    "vision": ("vision", "supports_vision"),
    "json_schema": ("response_schema", "supports_response_schema"),
}


class NoCapableDeploymentError(BadRequestError):
    """No deployment of the group can take this request's features; another group may."""

    fallback_ok = True


def request_features(request: ChatRequest) -> frozenset[str]:
    features = set()
    if request.tools:
        features.add("tools")
    if request.response_format is not None and request.response_format.type == "json_schema":
        features.add("json_schema")
    for message in request.messages:
        if isinstance(message.content, list) and any(isinstance(p, ImagePart) for p in message.content):
            features.add("vision")
            break
    return frozenset(features)


@dataclass(frozen=True, slots=True)
class Facts:
    max_input_tokens: int | None
    capabilities: frozenset[str] | None  # None: unknown, assume capable


def facts_for(deployment: RouterDeployment, catalog: Catalog) -> Facts:
    info = deployment.model_info
    entry = catalog.get(deployment.target.model, deployment.target.provider)
    max_input = info.get("max_input_tokens") or (entry.max_input_tokens if entry else None)
    caps: set[str] | None = set(entry.capabilities) if entry is not None else None
    for capability, flag in _FEATURES.values():
        if flag in info:
            caps = caps if caps is not None else set()
            (caps.add if info[flag] else caps.discard)(capability)
    return Facts(int(max_input) if max_input else None, frozenset(caps) if caps is not None else None)


def filter_deployments(
    deployments: Sequence[RouterDeployment], request: ChatRequest, catalog: Catalog
) -> list[RouterDeployment]:
    """The deployments that can take the request; raises when none can, with the reason."""
    features = request_features(request)
    prompt_tokens: int | None = None
    too_small: list[str] = []
    lacking: list[str] = []
    kept = []
    for d in deployments:
        facts = facts_for(d, catalog)
        if facts.max_input_tokens is not None:
            if prompt_tokens is None:
                prompt_tokens = token_counter(d.target.model, request.messages)
            if prompt_tokens > facts.max_input_tokens:
                too_small.append(f"{d.id} ({facts.max_input_tokens})")
                continue
        if features and facts.capabilities is not None:
            missing = [f for f in features if _FEATURES[f][0] not in facts.capabilities]
            if missing:
                lacking.append(f"{d.id} (no {', '.join(sorted(missing))})")
                continue
        kept.append(d)
    if kept:
        return kept
    if too_small and not lacking:
        raise ContextWindowExceededError(
            f"prompt of ~{prompt_tokens} tokens exceeds the context window of every deployment: "
            + ", ".join(too_small)
        )
    raise NoCapableDeploymentError(
        "no deployment can take this request: " + ", ".join([*too_small, *lacking])
    )
