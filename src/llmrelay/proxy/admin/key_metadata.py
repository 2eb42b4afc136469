"""The entries of a key's `metadata` that steer enforcement, bounded like every other limit.

`metadata` is the caller's own JSON, stored as sent, except LiteLLM's per-model limits
(`model_rpm_limit`, `model_tpm_limit`: model name → limit), which the key gate reads on every call.
They are checked here as the limit columns are (schemas.py): a model name of at most 255 printable
characters, a whole number from 0 to the column's largest — so a negative, fractional, boolean or
astronomically large limit is a 400 naming it, never a limit that refuses or admits everything."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.proxy.admin.schemas import Count32, Count64, ModelName
from llmrelay.types.errors import BadRequestError

_PER_MODEL_LIMITS: dict[str, Any] = {
    "model_rpm_limit": dict[ModelName, Count32],
    "model_tpm_limit": dict[ModelName, Count64],
}


def check_key_metadata(metadata: dict[str, Any]) -> None:
    for name, shape in _PER_MODEL_LIMITS.items():
        if name not in metadata:
            continue
        try:
            msgspec.convert(metadata[name], shape)
        except msgspec.ValidationError as exc:
            raise BadRequestError(
                f"metadata.{name} must map model names to whole numbers of requests or tokens "
                f"(0 or more): {exc}",
                param=f"metadata.{name}",
            ) from None
