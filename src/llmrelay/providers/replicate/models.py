"""Replicate model references: `<owner>/<model>` (an official model, run by name) or
`<owner>/<model>:<version>` / a bare 64-hex version id (a specific version of any model)."""

from __future__ import annotations

import re
from typing import NamedTuple

from llmrelay.types.errors import BadRequestError

PROVIDER = "replicate"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION = re.compile(r"^[0-9a-f]{64}$")


class ModelRef(NamedTuple):
    owner: str | None
    name: str | None
    version: str | None

    @property
    def model(self) -> str | None:
        return f"{self.owner}/{self.name}" if self.owner and self.name else None

    def create_path(self) -> str:
        """Where a prediction of this model is created, relative to the API base (…/v1)."""
        if self.version is None:
            return f"models/{self.owner}/{self.name}/predictions"
        return "predictions"


def parse_model(model: str) -> ModelRef:
    if _VERSION.match(model):
        return ModelRef(None, None, model)
    ref, sep, version = model.partition(":")
    owner, slash, name = ref.partition("/")
    if not slash or not _NAME.match(owner) or not _NAME.match(name):
        raise _bad(model, "write 'replicate/<owner>/<model>' or 'replicate/<owner>/<model>:<version>'")
    if sep and not _VERSION.match(version):
        raise _bad(model, "a version is the model version's 64-character hex id")
    return ModelRef(owner, name, version if sep else None)


def _bad(model: str, hint: str) -> BadRequestError:
    return BadRequestError(
        f"Replicate model {model!r} is not a model reference: {hint}",
        provider=PROVIDER,
        model=model,
        param="model",
    )
