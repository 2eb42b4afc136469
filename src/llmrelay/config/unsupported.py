"""Applying config/litellm_keys.py to a config: a refused key stops the start unless accepted, an
ignored one is a warning, a key no table knows is a warning with the closest known name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from llmrelay.config.checks import did_you_mean
from llmrelay.config.errors import ConfigError
from llmrelay.config.litellm_keys import ACCEPT_ENV, ACCEPT_KEY, TABLES, Status, is_off


def refusable_ids() -> list[str]:
    """Every name `llmrelay_accept_unsupported` takes: `general_settings.store_model_in_db`,
    `litellm_params.max_budget`, `guardrails` (a section)..."""
    return [
        f"{table}.{key}" if table else key
        for table, rules in TABLES.items()
        for key, rule in rules.items()
        if rule.status is Status.REFUSED
    ]


class KeyPolicy:
    """What to do with the keys of one config file that llmrelay does not implement."""

    def __init__(self, source: str, general: Any, environ: Mapping[str, str]) -> None:
        self.source = source
        self.warnings: list[str] = []
        accepted: list[str] = []
        raw = general.get(ACCEPT_KEY) if isinstance(general, Mapping) else None
        if raw is not None:
            if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
                raise ConfigError(source, f"general_settings.{ACCEPT_KEY}", "expected a list of key names")
            accepted.extend(raw)
        accepted.extend(x.strip() for x in environ.get(ACCEPT_ENV, "").split(",") if x.strip())
        known = refusable_ids()
        for name in accepted:
            if name not in known:
                where = (
                    f"general_settings.{ACCEPT_KEY}" if name in (raw or ()) else f"{ACCEPT_ENV} (environment)"
                )
                raise ConfigError(
                    source, where, f"{name!r} is no key llmrelay refuses{did_you_mean(name, known)}"
                )
        self.accepted = frozenset(accepted)

    def unknown(self, table: str, path: str, key: str, value: Any, known: Iterable[str]) -> None:
        """`key` (at `path`) is no key llmrelay implements: refuse, warn, or warn as unknown."""
        rule = TABLES[table].get(key)
        if rule is None:
            hint = did_you_mean(key, [*known, *TABLES[table]])
            what = "section" if not table else "key"
            self.warnings.append(f"{self.source}: {path}: unknown {what}, ignored{hint}")
            return
        if is_off(value):
            return
        name = f"{table}.{key}" if table else key
        if rule.status is Status.IGNORED:
            self.warnings.append(f"{self.source}: {path}: ignored by llmrelay: {rule.why}")
        elif name in self.accepted:
            self.warnings.append(
                f"{self.source}: {path}: NOT SUPPORTED, started anyway ({ACCEPT_KEY}): {rule.why}"
            )
        else:
            raise ConfigError(
                self.source,
                path,
                f"not supported by llmrelay: {rule.why}. To start without it, accept the risk: "
                f'general_settings.{ACCEPT_KEY}: ["{name}"] (or {ACCEPT_ENV}={name})',
            )
