"""Checks of a config's cross-references and values that the schema's types cannot express: the
routing strategy, the model groups fallbacks name, environment_variables. Each failure is a
ConfigError naming the file, the path inside it, what was expected, and the closest known name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llmrelay.config.errors import ConfigError

FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean `x`?)` when a known name is close to `word`, else ""."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return f" (did you mean `{close[0]}`?)" if close else ""


def check_strategy(source: str, path: str, strategy: str | None) -> None:
    from llmrelay.router.strategies import STRATEGIES

    if strategy is not None and strategy not in STRATEGIES:
        raise ConfigError(
            source,
            path,
            f"expected one of {', '.join(STRATEGIES)}, got {strategy!r}{did_you_mean(strategy, STRATEGIES)}",
        )


def check_fallbacks(source: str, section: str, raw: Mapping[str, Any], groups: Sequence[str]) -> None:
    """Every group a fallback list names (key or target) is a model_name of model_list ("*" is any)."""
    known = [*dict.fromkeys(groups), "*"]
    # a wildcard group (`openai/*`, `*`) serves every name it matches, as the router resolves it
    prefixes = [g[:-1] for g in groups if g.endswith("*")]

    def check(path: str, name: Any) -> None:
        if name not in known and not (isinstance(name, str) and name.startswith(tuple(prefixes))):
            raise ConfigError(
                source,
                path,
                f"names no model group: {name!r}{did_you_mean(str(name), known)}; "
                f"expected one of {', '.join(known[:-1]) or '(none: model_list is empty)'}",
            )

    for key in FALLBACK_KEYS:
        entries = raw.get(key) or []
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, Mapping):
                continue
            for group, targets in entry.items():
                check(f"{section}.{key}[{i}]", group)
                listed = [targets] if isinstance(targets, str) else targets or []
                for j, target in enumerate(listed):
                    check(f"{section}.{key}[{i}].{group}[{j}]", target)
    defaults = raw.get("default_fallbacks") or []
    for j, target in enumerate(defaults if isinstance(defaults, list) else []):
        check(f"{section}.default_fallbacks[{j}]", target)


def environment_values(source: str, raw: Any) -> tuple[dict[str, str], list[str]]:
    """environment_variables as strings (YAML numbers and booleans become their text, as LiteLLM
    exports them); an empty value is not exported (a warning says so); a mapping or list is an error."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        raise ConfigError(source, "environment_variables", "expected a mapping of NAME: value")
    values: dict[str, str] = {}
    warnings: list[str] = []
    for name, value in raw.items():
        path = f"environment_variables.{name}"
        if not isinstance(name, str) or not name:
            raise ConfigError(source, path, "expected a variable name (a non-empty string)")
        if value is None or value == "":
            warnings.append(f"{source}: {path}: empty value, not exported")
        elif isinstance(value, bool):
            values[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            values[name] = str(value)
        else:
            kind = type(value).__name__
            raise ConfigError(source, path, f"expected a string, number or boolean, got {kind}")
    return values, warnings
