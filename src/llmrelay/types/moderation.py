"""Moderation request and response types (OpenAI's /v1/moderations shape)."""

from __future__ import annotations

from typing import Any

from llmrelay.types.base import Model

DEFAULT_MODERATION_MODEL = "omni-moderation-latest"


class ModerationRequest(Model):
    # a string, a list of strings, or a list of multimodal parts ({"type": "text" | "image_url", ...})
    input: str | list[Any]
    # None: the SDK asks OpenAI's default model; the gateway routes to its first moderation group
    model: str | None = None
    extra_body: dict[str, Any] | None = None

    def texts(self) -> list[str]:
        """The text parts of the input (what token estimates and simulators read)."""
        if isinstance(self.input, str):
            return [self.input]
        out: list[str] = []
        for item in self.input:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                out.append(item["text"])
        return out


class ModerationResult(Model):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]] | None = None


class ModerationResponse(Model, dict=True):
    id: str
    model: str
    results: list[ModerationResult]
