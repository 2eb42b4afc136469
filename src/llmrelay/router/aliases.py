"""`model_group_alias` (LiteLLM's router setting): more names a caller may ask for, each served by an
existing model group. `{"gpt-4": "gpt-4o"}` sends requests for `gpt-4` to the `gpt-4o` group;
`{"gpt-4": {"model": "gpt-4o", "hidden": True}}` does the same without listing `gpt-4` in
`model_names()` (and so in the gateway's `/v1/models`).

Every mistake is reported when the router is built, naming the alias: a typo in a target would
otherwise surface as a 404 on the first request for it."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmrelay.router.groups import ModelGroups

AliasSpec = str | Mapping[str, Any]
_SPEC_KEYS = frozenset({"model", "hidden"})


@dataclass(frozen=True, slots=True)
class ModelGroupAliases:
    # alias → the model name it stands for (a group's name, or a name a wildcard group serves)
    targets: Mapping[str, str]
    # the aliases `model_names()` lists, in the order given (hidden ones left out)
    listed: tuple[str, ...]


def parse_aliases(raw: Mapping[str, AliasSpec] | None, groups: ModelGroups) -> ModelGroupAliases:
    if not raw:
        return ModelGroupAliases({}, ())
    if not isinstance(raw, Mapping):
        raise ValueError(f"model_group_alias must map alias names to model groups, got {type(raw).__name__}")
    group_names = groups.names()
    known = set(group_names)
    targets: dict[str, str] = {}
    listed: list[str] = []
    for alias, spec in raw.items():
        if not isinstance(alias, str) or not alias:
            raise ValueError(f"model_group_alias: alias names must be non-empty strings, got {alias!r}")
        target, hidden = _read_spec(alias, spec)
        if alias in known:
            raise ValueError(
                f"model_group_alias {alias!r} is also the name of a model group: a request for it "
                "would be ambiguous; rename the alias or the group"
            )
        if target in raw:
            raise ValueError(
                f"model_group_alias {alias!r} points at {target!r}, another alias; aliases do not "
                "chain, point it at a model group"
            )
        if target.endswith("*") or groups.group_name(target) not in known:
            close = difflib.get_close_matches(target, group_names, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"model_group_alias {alias!r} points at {target!r}, which is not a model group on this "
                f"router{hint}; known groups: {', '.join(sorted(group_names)) or '(none)'}"
            )
        targets[alias] = target
        if not hidden:
            listed.append(alias)
    return ModelGroupAliases(targets, tuple(listed))


def _read_spec(alias: str, spec: Any) -> tuple[str, bool]:
    """`"group"`, or `{"model": "group", "hidden": bool}` → (target, hidden)."""
    target: Any
    if isinstance(spec, str):
        target, hidden = spec, False
    elif isinstance(spec, Mapping):
        unknown = sorted(str(k) for k in spec if k not in _SPEC_KEYS)
        if unknown:
            raise ValueError(
                f"model_group_alias {alias!r}: unknown keys {', '.join(unknown)} "
                "(expected 'model' and optionally 'hidden')"
            )
        target, hidden = spec.get("model"), spec.get("hidden", False)
        if not isinstance(hidden, bool):
            raise ValueError(f"model_group_alias {alias!r}: 'hidden' must be true or false, got {hidden!r}")
    else:
        raise ValueError(
            f"model_group_alias {alias!r}: expected a model group name or "
            f"{{'model': ..., 'hidden': ...}}, got {type(spec).__name__}"
        )
    if not isinstance(target, str) or not target:
        raise ValueError(f"model_group_alias {alias!r}: the model group must be a non-empty string")
    return target, hidden
