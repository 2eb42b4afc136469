"""Resolving a config's secret references, anywhere in the document:

- `os.environ/NAME`: the environment variable NAME — or, when general_settings.key_management_system
  names a manager, the manager's secret NAME first (LiteLLM's rule, config/secrets/managed.py), the
  environment when the manager has no such secret (except for names listed in hosted_keys);
- `os.file/PATH`: the content of the file at PATH (llmrelay/secret_files.py).

Every failure is a ConfigError naming the path in the config and the reference, never a value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmrelay.config.errors import ConfigError
from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.managed import ManagedSecrets
from llmrelay.secret_files import SecretFileError, read_secret_file

ENV_PREFIX = "os.environ/"
FILE_PREFIX = "os.file/"


class SecretResolver:
    def __init__(self, source: str, env: Mapping[str, str], managed: ManagedSecrets | None = None) -> None:
        self._source = source
        self._env = env  # read at each lookup: environment_variables join it while the config loads
        self.managed = managed
        self._files: dict[str, str] = {}  # each file read once

    def resolve(self, value: Any, path: str) -> Any:
        """`value` with every reference replaced by what it refers to."""
        if isinstance(value, str):
            if value.startswith(ENV_PREFIX):
                return self._variable(value[len(ENV_PREFIX) :], path)
            if value.startswith(FILE_PREFIX):
                return self._file(value[len(FILE_PREFIX) :], path)
            return value
        if isinstance(value, dict):
            return {k: self.resolve(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def _variable(self, name: str, path: str) -> str:
        reference = f"referenced as {ENV_PREFIX}{name}"
        managed = self.managed
        asked = managed is not None and managed.handles(name)
        if managed is not None and asked:
            try:
                value = managed.lookup(name, path)
            except SecretError as exc:
                raise ConfigError(self._source, path, f"{exc} ({reference})") from None
            if value is not None:
                return value
            if managed.required(name):
                raise ConfigError(
                    self._source,
                    path,
                    f"secret {name} is not in {managed.system} (listed in key_management_settings."
                    f"hosted_keys; {reference})",
                )
        resolved = self._env.get(name)
        if resolved is None:
            where = f" nor a secret in {managed.system}" if managed is not None and asked else ""
            raise ConfigError(
                self._source, path, f"environment variable {name} is not set{where} ({reference})"
            )
        return resolved

    def _file(self, file_path: str, path: str) -> str:
        if file_path not in self._files:
            try:
                self._files[file_path] = read_secret_file(file_path)
            except SecretFileError as exc:
                raise ConfigError(
                    self._source, path, f"{exc} (referenced as {FILE_PREFIX}{file_path})"
                ) from None
        return self._files[file_path]
