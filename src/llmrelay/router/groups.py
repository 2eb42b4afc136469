"""Model groups: the name a caller asks for → its deployments. Exact names first, then wildcard
groups (`openai/*`, `*`), longest pattern first."""

from __future__ import annotations

from collections.abc import Sequence

from llmrelay.router.deployments import RouterDeployment
from llmrelay.types.errors import NotFoundError


class ModelGroups:
    def __init__(self, deployments: Sequence[RouterDeployment]) -> None:
        self.deployments = list(deployments)
        self._groups: dict[str, list[RouterDeployment]] = {}
        for d in deployments:
            self._groups.setdefault(d.model_name, []).append(d)
        self._wildcards = sorted((name for name in self._groups if name.endswith("*")), key=len, reverse=True)

    def names(self) -> list[str]:
        return list(self._groups)

    def group_name(self, model: str) -> str:
        """The group that serves `model` (a wildcard pattern, or the name itself)."""
        if model in self._groups:
            return model
        for pattern in self._wildcards:
            if model.startswith(pattern[:-1]):
                return pattern
        return model

    def resolve(self, model: str) -> tuple[str, list[RouterDeployment]]:
        name = self.group_name(model)
        deployments = self._groups.get(name)
        if not deployments:
            known = ", ".join(sorted(self._groups)) or "(none)"
            raise NotFoundError(
                f"no model group named {model!r} on this router; known groups: {known}", model=model
            )
        return name, deployments

    def of(self, model_name: str | None) -> list[RouterDeployment]:
        if model_name is None:
            return list(self.deployments)
        return list(self._groups.get(model_name, ()))
