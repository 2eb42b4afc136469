"""The OpenAI simulator's moderations, image generations, variations and edits, and speech,
deterministic by content.

Moderations flag a category when the text contains its marker word (`MARKERS`), with a score near 1;
every other score is small and stable. Images are a 1x1 PNG whose colour comes from the prompt, as
`b64_json`, or a URL under a reserved (never resolving) host naming that image. Speech is the
asked format's leading magic bytes followed by the input's UTF-8 bytes (not playable audio: enough to
tell the format and the text apart)."""

from __future__ import annotations

import base64
import struct
import time
import zlib
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import BytesReply, ProviderError

# OpenAI's omni-moderation categories and which input types each is scored on
CATEGORIES: dict[str, tuple[str, ...]] = {
    "harassment": ("text",), "harassment/threatening": ("text",), "hate": ("text",),
    "hate/threatening": ("text",), "illicit": ("text",), "illicit/violent": ("text",),
    "self-harm": ("text", "image"), "self-harm/intent": ("text", "image"),
    "self-harm/instructions": ("text", "image"), "sexual": ("text", "image"), "sexual/minors": ("text",),
    "violence": ("text", "image"), "violence/graphic": ("text", "image"),
}  # fmt: skip
# a text containing the marker (case-insensitive) is flagged in the category
MARKERS = {"violence": "attack", "harassment": "idiot", "hate": "hateful", "illicit": "contraband"}
IMAGE_URL_HOST = "https://images.llmrelay-sim.invalid"
_DALL_E_SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
}
_GPT_IMAGE_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")


def moderation_reply(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be a JSON object.")
    model = body.get("model") or "omni-moderation-latest"
    items = _moderation_items(body.get("input"))
    return {
        "id": c.stable_id("modr-", model, *(repr(i) for i in items)),
        "model": _dated(model),
        "results": [_moderation_result(texts, images) for texts, images in items],
    }


def _moderation_items(value: Any) -> list[tuple[list[str], int]]:
    """One (texts, image count) per result: a string or each string of a list is one input; a list
    of multimodal parts is one input."""
    if isinstance(value, str):
        return [([value], 0)]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [([v], 0) for v in value]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        texts, images = [], 0
        for part in value:
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "image_url" and isinstance(part.get("image_url"), dict):
                images += 1
            else:
                raise ProviderError(400, "Invalid value for 'input': unknown content part.", param="input")
        return [(texts, images)]
    raise ProviderError(
        400,
        "Invalid value for 'input': expected a string, an array of strings or an array of "
        "multi-modal inputs.",
        param="input",
    )


def _moderation_result(texts: list[str], images: int) -> dict[str, Any]:
    text = " ".join(texts).lower()
    scores: dict[str, float] = {}
    for name in CATEGORIES:
        marker = MARKERS.get(name)
        hit = marker is not None and marker in text
        low = int(c.stable_id("", name, text, length=4), 16) / 0xFFFF / 100
        scores[name] = round(0.9 + low if hit else low, 6)
    kinds = (["text"] if texts else []) + (["image"] if images else [])
    applied = {name: [k for k in kinds if k in accepted] for name, accepted in CATEGORIES.items()}
    categories = {name: score >= 0.5 for name, score in scores.items()}
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }


def _dated(model: str) -> str:
    return "omni-moderation-2024-09-26" if model == "omni-moderation-latest" else model


def image_reply(body: Any, model: str) -> dict[str, Any]:
    prompt = body.get("prompt") if isinstance(body, dict) else None
    if not isinstance(prompt, str) or not prompt:
        raise ProviderError(400, "Missing required parameter: 'prompt'.", param="prompt")
    gpt_image = model.startswith(("gpt-image", "chatgpt-image"))
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 10 or (model == "dall-e-3" and n != 1):
        raise ProviderError(400, f"Invalid value for 'n': {n!r}.", param="n")
    sizes = _GPT_IMAGE_SIZES if gpt_image else _DALL_E_SIZES.get(model, _DALL_E_SIZES["dall-e-2"])
    size = body.get("size") or sizes[-1 if model == "dall-e-2" else 0]
    if size not in sizes:
        raise ProviderError(
            400, f"Invalid value: '{size}'. Supported values are: {', '.join(sizes)}.", param="size"
        )
    fmt = body.get("response_format")
    if gpt_image and fmt is not None:
        raise ProviderError(400, "Unknown parameter: 'response_format'.", param="response_format")
    if fmt not in (None, "url", "b64_json"):
        raise ProviderError(400, f"Invalid value for 'response_format': {fmt!r}.", param="response_format")
    data = []
    for index in range(n):
        image_id = c.stable_id("img-", model, prompt, str(index))
        item: dict[str, Any] = (
            {"b64_json": base64.b64encode(tiny_png(image_id)).decode("ascii")}
            if gpt_image or fmt == "b64_json"
            else {"url": f"{IMAGE_URL_HOST}/{image_id}.png"}
        )
        if model == "dall-e-3":
            item["revised_prompt"] = f"A detailed picture of: {prompt}"
        data.append(item)
    reply: dict[str, Any] = {"created": int(time.time()), "data": data}
    if gpt_image:
        prompt_tokens = len(prompt.split())
        output_tokens = 272 * n  # a low-quality square's image tokens
        reply.update(
            size=size,
            quality=body.get("quality") or "medium",
            output_format=body.get("output_format") or "png",
            background=body.get("background") or "opaque",
            usage={
                "input_tokens": prompt_tokens,
                "output_tokens": output_tokens,
                "total_tokens": prompt_tokens + output_tokens,
                "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
            },
        )
    return reply


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VARIATION_MAX_IMAGE = 4 * 1024 * 1024


def variation_reply(body: Any) -> dict[str, Any]:
    """OpenAI's /v1/images/variations (multipart/form-data; dall-e-2 only): a square PNG under 4 MB
    in `image`, `n`, `size` and `response_format` as form fields."""
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be multipart/form-data.")
    image = body.get("image")
    if not isinstance(image, dict):
        raise ProviderError(400, "Missing required parameter: 'image'.", param="image")
    data: bytes = image["data"]
    if not data.startswith(PNG_MAGIC) or len(data) >= VARIATION_MAX_IMAGE:
        raise ProviderError(
            400, "Invalid input image - format must be in ['png'] and less than 4 MB.", param="image"
        )
    model = body.get("model") or "dall-e-2"
    if model != "dall-e-2":
        raise ProviderError(400, f"Invalid model {model}. The model must be 'dall-e-2'.", param="model")
    try:
        n = int(body.get("n") or 1)
    except ValueError:
        n = 0
    if not 1 <= n <= 10:
        raise ProviderError(400, f"Invalid value for 'n': {body.get('n')!r}.", param="n")
    size = body.get("size") or "1024x1024"
    if size not in _DALL_E_SIZES["dall-e-2"]:
        raise ProviderError(400, f"Invalid value: '{size}'.", param="size")
    fmt = body.get("response_format") or "url"
    if fmt not in ("url", "b64_json"):
        raise ProviderError(400, f"Invalid value for 'response_format': {fmt!r}.", param="response_format")
    items = []
    for index in range(n):
        image_id = c.stable_id("var-", model, data.hex()[:64], size, str(index))
        items.append(
            {"b64_json": base64.b64encode(tiny_png(image_id)).decode("ascii")}
            if fmt == "b64_json"
            else {"url": f"{IMAGE_URL_HOST}/{image_id}.png"}
        )
    return {"created": int(time.time()), "data": items}


EDIT_MAX_IMAGES = 16
GPT_IMAGE_MAX_IMAGE = 50 * 1024 * 1024


def edit_reply(body: Any, deployment_model: str | None = None) -> dict[str, Any]:
    """OpenAI's /v1/images/edits (multipart/form-data): dall-e-2 takes one square PNG under 4 MB in
    `image`; gpt-image models up to 16 images (PNG, WEBP or JPEG under 50 MB) as `image[]`; an
    optional PNG `mask`. Answered as a generation of the prompt and the images."""
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be multipart/form-data.")
    model = deployment_model or body.get("model") or "dall-e-2"
    images = body.get("image[]") or ([body["image"]] if isinstance(body.get("image"), dict) else [])
    if not images:
        raise ProviderError(400, "Missing required parameter: 'image'.", param="image")
    gpt_image = model.startswith(("gpt-image", "chatgpt-image"))
    if not gpt_image and (len(images) > 1 or model != "dall-e-2"):
        raise ProviderError(400, f"Invalid value for 'image': {model} edits one PNG image.", param="image")
    for image in images[: EDIT_MAX_IMAGES + 1]:
        data: bytes = image["data"]
        cap = GPT_IMAGE_MAX_IMAGE if gpt_image else VARIATION_MAX_IMAGE
        if len(images) > EDIT_MAX_IMAGES or not data.startswith(PNG_MAGIC) or len(data) >= cap:
            message = "Invalid input image - format must be in ['png'] and under the size limit."
            raise ProviderError(400, message, param="image")
    mask = body.get("mask")
    if mask is not None and (not isinstance(mask, dict) or not mask["data"].startswith(PNG_MAGIC)):
        raise ProviderError(400, "Invalid mask image - format must be png.", param="mask")
    try:
        n = int(body.get("n") or 1)
    except ValueError:
        raise ProviderError(400, f"Invalid value for 'n': {body.get('n')!r}.", param="n") from None
    digest = c.stable_id("", *(i["data"].hex()[:64] for i in images), length=8)
    generation = {"prompt": body.get("prompt"), "n": n, "size": body.get("size"),
                  "response_format": body.get("response_format"), "quality": body.get("quality")}  # fmt: skip
    reply = image_reply({k: v for k, v in generation.items() if v is not None}, model)
    for item in reply["data"]:
        # an edit's images differ from a generation's of the same prompt
        if "url" in item:
            item["url"] = item["url"].replace(".png", f"-edit-{digest}.png")
        item.pop("revised_prompt", None)
    return reply


def tiny_png(seed: str) -> bytes:
    """A valid 1x1 RGB PNG whose colour is taken from `seed`."""
    rgb = bytes.fromhex(c.stable_id("", seed, length=6))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + rgb))
        + chunk(b"IEND", b"")
    )


# what a file of each format starts with, and the content type OpenAI answers it with
SPEECH_FORMATS: dict[str, tuple[bytes, str]] = {
    "mp3": (b"ID3\x04\x00\x00", "audio/mpeg"),
    "opus": (b"OggS\x00\x02", "audio/opus"),
    "aac": (b"\xff\xf1\x50\x80", "audio/aac"),
    "flac": (b"fLaC", "audio/flac"),
    "wav": (b"RIFF\x00\x00\x00\x00WAVE", "audio/wav"),
    "pcm": (b"", "audio/pcm"),
}
SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
SPEECH_MAX_INPUT = 4096


def speech_reply(body: Any) -> BytesReply:
    """OpenAI's /v1/audio/speech: its 400s for a missing or bad field, else the asked format's bytes."""
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be a JSON object.")
    for name in ("model", "input", "voice"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise ProviderError(400, f"Missing required parameter: '{name}'.", param=name)
    if body["model"] not in SPEECH_MODELS:
        raise ProviderError(404, f"The model `{body['model']}` does not exist.", param="model")
    text: str = body["input"]
    if len(text) > SPEECH_MAX_INPUT:
        raise ProviderError(
            400, f"'input' is too long: at most {SPEECH_MAX_INPUT} characters.", param="input"
        )
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        raise ProviderError(400, "'speed' must be a number from 0.25 to 4.0.", param="speed")
    fmt = body.get("response_format") or "mp3"
    if fmt not in SPEECH_FORMATS:
        raise ProviderError(400, f"Invalid value for 'response_format': {fmt!r}.", param="response_format")
    magic, content_type = SPEECH_FORMATS[fmt]
    return BytesReply(magic + text.encode(), content_type)
