"""Image generation request and response types (OpenAI's /v1/images/generations shape)."""

from __future__ import annotations

from typing import Any

from llmrelay.types.base import Model


class ImageGenerationRequest(Model):
    prompt: str
    # None: the gateway routes to its first image-generation group (the SDK needs a model)
    model: str | None = None
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    response_format: str | None = None  # "url" | "b64_json" (dall-e models)
    style: str | None = None  # dall-e-3: "vivid" | "natural"
    user: str | None = None
    # background, output_format, output_compression, moderation... arrive here and are sent as is
    extra_body: dict[str, Any] | None = None


class ImageData(Model):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImageUsage(Model):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: dict[str, Any] | None = None


class ImageResponse(Model, dict=True):
    created: int
    data: list[ImageData]
    usage: ImageUsage | None = None
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None
