"""Region routing (LiteLLM's `allowed_model_region`): the region a deployment serves from, and the
deployments a call limited to a region may use.

A deployment's region is "eu", "us" or unknown (None), decided once when the model_list is read:

1. `litellm_params.region_name` — "eu" / "us", or a cloud region name classified as below;
2. else the region the provider itself serves the deployment from, as its adapter answers it
   (`Provider.serving_region`): Vertex AI's location (`vertex_location`, else VERTEXAI_LOCATION /
   VERTEX_LOCATION, else us-central1 — the provider's own default), Bedrock's AWS region
   (`aws_region_name`, else AWS_REGION / AWS_DEFAULT_REGION, else the region its endpoint names),
   Azure's region when `api_base` is a regional endpoint (`https://<region>.api.cognitive.
   microsoft.com`; a resource name such as `my-eu.openai.azure.com` says nothing certain).

Cloud region names: AWS `eu-*`, Google `europe-*`, and Azure's European regions are "eu" (as in
LiteLLM, Europe counts whole: London and Zurich too); AWS and Google `us-*` (GovCloud included) and
Azure's US regions are "us". Anything else (a global endpoint, Asia, a plain OpenAI deployment with
no region_name) is unknown, and a call limited to a region never goes there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmrelay.calls.context import REGIONS, EndUserRouting
from llmrelay.types.errors import BadRequestError

if TYPE_CHECKING:
    from llmrelay.providers.registry import ProviderRegistry
    from llmrelay.router.deployments import RouterDeployment
    from llmrelay.types.deployment import Deployment

_AZURE_EU = frozenset(
    {"westeurope", "northeurope", "swedencentral", "swedensouth", "francecentral", "francesouth",
     "germanywestcentral", "germanynorth", "switzerlandnorth", "switzerlandwest", "norwayeast",
     "norwaywest", "italynorth", "polandcentral", "spaincentral", "uksouth", "ukwest"}
)  # fmt: skip
_AZURE_US = frozenset(
    {"eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
     "southcentralus", "westcentralus"}
)  # fmt: skip


class RegionUnavailableError(BadRequestError):
    """No deployment of the group is in the call's allowed region. Another group (a fallback) may
    have one, so the router may still try it."""

    fallback_ok = True


def classify(name: str) -> str | None:
    """A cloud region name (or "eu"/"us") → "eu", "us" or None."""
    low = name.strip().lower()
    if low in REGIONS:
        return low
    if low.startswith(("eu-", "europe-")) or low in _AZURE_EU:
        return "eu"
    if low.startswith("us-") or low in _AZURE_US:
        return "us"
    return None


def deployment_region(target: Deployment, registry: ProviderRegistry) -> str | None:
    """The region a deployment serves from (see the module docstring), or None when unknown."""
    options: Mapping[str, Any] = target.options or {}
    explicit = options.get("region_name")
    if isinstance(explicit, str) and explicit:
        return classify(explicit)
    if target.provider not in registry:
        return None
    served_from = registry.get(target.provider).serving_region(target)
    return classify(served_from) if served_from else None


def in_region(
    group: str, deployments: Sequence[RouterDeployment], routing: EndUserRouting
) -> list[RouterDeployment]:
    """The deployments a call limited to `routing.region` may use; raises when there is none."""
    kept = [d for d in deployments if d.region == routing.region]
    if kept:
        return kept
    raise no_deployment_in_region(group, routing)


def no_deployment_in_region(group: str, routing: EndUserRouting) -> RegionUnavailableError:
    return RegionUnavailableError(
        f"no deployment of model group {group!r} is in region {routing.region!r}, the "
        f"allowed_model_region of end user {routing.end_user_id!r}",
        model=group,
        code="no_deployment_in_allowed_region",
        param="allowed_model_region",
    )
