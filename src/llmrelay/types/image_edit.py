"""Image edit request type (OpenAI's /v1/images/edits: multipart/form-data). The answer is an
`ImageResponse`, as for image generation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from llmrelay.types.audio import refuse_stream
from llmrelay.types.base import Model
from llmrelay.types.files import FileUpload

# gpt-image models take up to 16 images (the form's `image[]`); dall-e-2 one square PNG
MAX_IMAGES = 16


class ImageEditRequest(Model):
    image: FileUpload | Annotated[list[FileUpload], msgspec.Meta(min_length=1, max_length=MAX_IMAGES)]
    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=32000)]
    model: str
    mask: FileUpload | None = None  # a PNG whose transparent areas say where to edit
    n: Annotated[int, msgspec.Meta(ge=1, le=10)] | None = None
    size: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    quality: Annotated[str, msgspec.Meta(max_length=16)] | None = None  # gpt-image: low|medium|high|auto
    response_format: Literal["url", "b64_json"] | None = None  # dall-e-2 only
    user: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    # gpt-image models can stream partial images as events; the gateway does not relay that stream,
    # so `stream: true` is refused (a 400 naming `stream`) rather than sent on
    stream: bool | None = None
    # form fields the type does not know (background, output_format, input_fidelity...), sent to the
    # provider as they came
    extra_body: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        refuse_stream(self.stream)

    def images(self) -> list[FileUpload]:
        return self.image if isinstance(self.image, list) else [self.image]
