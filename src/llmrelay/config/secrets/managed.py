"""The secrets a config reads from its secret manager: which `os.environ/NAME` names go there
(LiteLLM's rule: every name, or only those in `hosted_keys`; never the variables configuring the
manager itself), the values read, by name, and reading them all again for the refresh."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.settings import KeyManagementSettings, SecretStore


@dataclass(slots=True)
class RefreshResult:
    # names whose value in the manager differs from the one the gateway started with
    changed: list[str] = field(default_factory=list)
    # why a name could not be read again (SecretError messages: no values)
    failed: list[str] = field(default_factory=list)


class ManagedSecrets:
    def __init__(self, store: SecretStore, settings: KeyManagementSettings, refresh_seconds: float) -> None:
        self.store = store
        self.system = store.system
        self.refresh_seconds = refresh_seconds
        self._hosted = frozenset(settings.hosted_keys) if settings.hosted_keys is not None else None
        self._primary = settings.primary_secret_name
        self._lock = threading.Lock()
        # name → the value the config was loaded with; name → where the config refers to it
        self._values: dict[str, str] = {}
        self.uses: dict[str, list[str]] = {}
        # primary_secret_name's JSON object, read once while the config loads (None: not read yet)
        self._bundle: dict[str, object] | None = None

    def handles(self, name: str) -> bool:
        """Whether `os.environ/<name>` is looked up in the manager."""
        if name in self.store.own_variables:
            return False
        return self._hosted is None or name in self._hosted

    def required(self, name: str) -> bool:
        """A name listed in hosted_keys must come from the manager: no fallback to the environment."""
        return self._hosted is not None and name in self._hosted

    def lookup(self, name: str, path: str) -> str | None:
        """The secret `name` (read once, then from memory); None when the manager has no such secret.
        Raises SecretError."""
        with self._lock:
            cached = self._values.get(name)
        if cached is not None:
            value: str | None = cached
        else:
            if self._primary and self._bundle is None:
                self._bundle = self._primary_bundle()
            value = self._fetch(name, self._bundle)
        if value is not None:
            with self._lock:
                self._values.setdefault(name, value)
                self.uses.setdefault(name, []).append(path)
        return value

    def names(self) -> list[str]:
        with self._lock:
            return list(self._values)

    def refresh(self) -> RefreshResult:
        """Read every secret the config uses again. The values the gateway started with are kept:
        what changed is reported (by name) for the operator to roll the workers."""
        result = RefreshResult()
        try:
            bundle = self._primary_bundle()
        except SecretError as exc:
            result.failed.append(str(exc))
            return result
        for name in self.names():
            try:
                value = self._fetch(name, bundle)
            except SecretError as exc:
                result.failed.append(str(exc))
                continue
            if value is None:
                result.failed.append(f"{self.system}: secret {name!r} is no longer in the manager")
            elif value != self._values[name]:
                result.changed.append(name)
        return result

    def _primary_bundle(self) -> dict[str, object] | None:
        """primary_secret_name: one secret holding a JSON object of name → value."""
        if not self._primary:
            return None
        raw = self.store.read(self._primary)
        if raw is None:
            raise SecretError(f"{self.system}: the primary secret {self._primary!r} does not exist")
        try:
            bundle = json.loads(raw)
        except ValueError:
            bundle = None
        if not isinstance(bundle, dict):
            raise SecretError(f"{self.system}: the primary secret {self._primary!r} is not a JSON object")
        return bundle

    def _fetch(self, name: str, bundle: dict[str, object] | None) -> str | None:
        if bundle is None:
            return self.store.read(name)
        value = bundle.get(name)
        if value is not None and not isinstance(value, str):
            raise SecretError(f"{self.system}: {name!r} in the primary secret is not a string")
        return value

    def __repr__(self) -> str:
        return f"ManagedSecrets({self.system}, names={len(self._values)})"
