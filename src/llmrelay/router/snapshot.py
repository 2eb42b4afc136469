"""What a router serves, as one value: its model groups and the aliases over them, checked together
with the fallbacks that must name those groups. A router swaps a whole new snapshot in when its model
list changes at run time (Router.replace_models), never edits the one calls are reading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.aliases import AliasSpec, parse_aliases
from llmrelay.router.deployments import parse_model_list
from llmrelay.router.groups import ModelGroups
from llmrelay.router.policy import FallbackPolicy
from llmrelay.types.errors import BadRequestError


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    groups: ModelGroups
    # alias → the group it stands for; the aliases /v1/models lists (not marked hidden)
    alias_targets: Mapping[str, str]
    listed_aliases: tuple[str, ...]


def build_snapshot(
    model_list: Sequence[Mapping[str, Any]],
    registry: ProviderRegistry,
    catalog: Catalog,
    aliases: Mapping[str, AliasSpec] | None,
    fallbacks: FallbackPolicy,
) -> ModelSnapshot:
    """Raises BadRequestError (a deployment, or a fallback naming no group) or ValueError (an alias)."""
    groups = ModelGroups(parse_model_list(model_list, registry, catalog))
    parsed = parse_aliases(aliases, groups)
    check_fallback_names(fallbacks, groups, parsed.targets)
    return ModelSnapshot(groups, parsed.targets, parsed.listed)


def check_fallback_names(
    policy: FallbackPolicy, groups: ModelGroups, alias_targets: Mapping[str, str]
) -> None:
    """A fallback naming no group is a config mistake: say so now, not on the first outage."""
    named = {g for table in (policy.fallbacks, policy.context_window, policy.content_policy)
             for key, targets in table.items() for g in (key, *targets) if g != "*"}  # fmt: skip
    named.update(policy.default)
    # an alias is no group: fallbacks name the group it stands for
    unknown = sorted(n for n in named if n in alias_targets
                     or groups.group_name(n) not in groups.names())  # fmt: skip
    if unknown:
        raise BadRequestError(
            f"fallbacks name unknown model groups: {', '.join(unknown)}; "
            f"known groups: {', '.join(sorted(groups.names()))}"
        )
