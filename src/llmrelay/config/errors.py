"""The one error a config can stop the start with."""

from __future__ import annotations


class ConfigError(ValueError):
    """The config cannot be used. The message says where (file and path) and what was expected."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem
