"""Image variation request type (OpenAI's /v1/images/variations: multipart/form-data, dall-e-2). The
answer is an `ImageResponse`, as for image generation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from llmrelay.types.base import Model
from llmrelay.types.files import FileUpload


class ImageVariationRequest(Model):
    image: FileUpload  # a square PNG under 4 MB (the provider checks it)
    model: str
    n: Annotated[int, msgspec.Meta(ge=1, le=10)] | None = None
    size: Annotated[str, msgspec.Meta(max_length=32)] | None = None  # "256x256" | "512x512" | "1024x1024"
    response_format: Literal["url", "b64_json"] | None = None
    user: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    # form fields the type does not know, sent to the provider as they came
    extra_body: dict[str, Any] | None = None
