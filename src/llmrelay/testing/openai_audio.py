"""The OpenAI simulator's speech to text: /v1/audio/transcriptions and /v1/audio/translations
(multipart/form-data), deterministic by content, in each of OpenAI's response formats.

What the audio "says": a WAV made by `spoken_wav(text, seconds)` carries its words in a `LIST`
chunk (as a WAV's INFO comment) and lasts the seconds its header declares; any other file of a
format OpenAI takes says a phrase derived from its bytes and lasts one second per 16 kB (an mp3 at
128 kbit/s). whisper-1 (and Groq's whisper models) report usage in seconds (rounded up), the gpt-4o
models in tokens."""

from __future__ import annotations

import math
import struct
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import BytesReply, JsonReply, ProviderError, Reply

AUDIO_EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
MAX_AUDIO = 25 * 1024 * 1024
WHISPER = "whisper-1"
# Groq's whisper models, which it serves at OpenAI's paths with OpenAI's forms
WHISPERS = (WHISPER, "whisper-large-v3", "whisper-large-v3-turbo")
TOKEN_MODELS = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe")
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_SAMPLE_RATE = 8000  # spoken_wav's: 8 kHz, 16-bit mono (16 000 bytes a second)
_WORDS_PER_SEGMENT = 8


def spoken_wav(text: str, seconds: float) -> bytes:
    """A valid WAV of `seconds` of silence whose INFO comment is `text` (what the simulator hears)."""
    comment = text.encode() + b"\x00"
    if len(comment) % 2:
        comment += b"\x00"
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(comment)) + comment
    fmt = struct.pack("<HHIIHH", 1, 1, _SAMPLE_RATE, _SAMPLE_RATE * 2, 2, 16)
    samples = b"\x00\x00" * round(seconds * _SAMPLE_RATE)
    chunks = (b"fmt " + struct.pack("<I", len(fmt)) + fmt
              + b"LIST" + struct.pack("<I", len(info)) + info
              + b"data" + struct.pack("<I", len(samples)) + samples)  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def transcription_reply(body: Any, model: str | None = None) -> Reply:
    return _reply(body, "transcribe", model)


def translation_reply(body: Any, model: str | None = None) -> Reply:
    return _reply(body, "translate", model)


def _reply(body: Any, task: str, deployment_model: str | None) -> Reply:
    """OpenAI's checks and 400s, then the transcript in the asked format."""
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be multipart/form-data.")
    file = body.get("file")
    if not isinstance(file, dict):
        raise ProviderError(400, "Missing required parameter: 'file'.", param="file")
    model = str(deployment_model or body.get("model") or "")
    allowed = WHISPERS if task == "translate" else (*WHISPERS, *TOKEN_MODELS)
    if model not in allowed:
        raise ProviderError(400, f"Invalid model '{model}' for audio {task}.", param="model")
    extension = str(file["filename"]).rsplit(".", 1)[-1].lower()
    if extension not in AUDIO_EXTENSIONS or len(file["data"]) > MAX_AUDIO:
        raise ProviderError(
            400, f"Invalid file format. Supported formats: {list(AUDIO_EXTENSIONS)}", param="file"
        )
    fmt = body.get("response_format") or "json"
    if fmt not in FORMATS or (model not in WHISPERS and fmt not in ("json", "text")):
        raise ProviderError(
            400, f"response_format '{fmt}' is not compatible with model '{model}'.", param="response_format"
        )
    try:
        temperature = float(body.get("temperature") or 0)
    except ValueError:
        temperature = -1.0
    if not 0 <= temperature <= 1:
        raise ProviderError(400, "'temperature' must be a number from 0 to 1.", param="temperature")
    granularities = body.get("timestamp_granularities[]") or []
    granularities = [granularities] if isinstance(granularities, str) else granularities
    if granularities and fmt != "verbose_json":
        raise ProviderError(
            400,
            "timestamp_granularities requires response_format=verbose_json.",
            param="timestamp_granularities",
        )
    text, seconds = heard(file["data"])
    if fmt == "text":
        return BytesReply((text + "\n").encode(), "text/plain")
    if fmt in ("srt", "vtt"):
        return BytesReply(_cues(text, seconds, fmt).encode(), "text/plain")
    if fmt == "json":
        return JsonReply({"text": text, "usage": _usage(model, text, seconds, body.get("prompt"))})
    return JsonReply(_verbose(task, text, seconds, granularities))


def heard(data: bytes) -> tuple[str, float]:
    """What a file says, and how long it lasts."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        comment = data.find(b"ICMT")
        text = ""
        if comment != -1:
            size = struct.unpack_from("<I", data, comment + 4)[0]
            text = data[comment + 8 : comment + 8 + size].rstrip(b"\x00").decode(errors="replace")
        samples = data.find(b"data")
        size = struct.unpack_from("<I", data, samples + 4)[0] if samples != -1 else 0
        return text, size / (_SAMPLE_RATE * 2)
    return f"A sound numbered {c.stable_id('', data.hex()[:512], length=8)}.", len(data) / 16_000


def _usage(model: str, text: str, seconds: float, prompt: Any) -> dict[str, Any]:
    if model in WHISPERS:
        return {"type": "duration", "seconds": math.ceil(seconds)}
    audio = math.ceil(seconds * 10)  # OpenAI's audio tokens: about ten a second
    prompt_tokens = len(str(prompt).split()) if prompt else 0
    output = max(1, len(text.split()))
    return {
        "type": "tokens",
        "input_tokens": audio + prompt_tokens,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio},
        "output_tokens": output,
        "total_tokens": audio + prompt_tokens + output,
    }


def _segments(text: str, seconds: float) -> list[tuple[float, float, str]]:
    words = text.split()
    groups = [words[i : i + _WORDS_PER_SEGMENT] for i in range(0, len(words), _WORDS_PER_SEGMENT)] or [[]]
    step = seconds / len(groups)
    return [(round(i * step, 2), round((i + 1) * step, 2), " ".join(g)) for i, g in enumerate(groups)]


def _cues(text: str, seconds: float, fmt: str) -> str:
    separator = "," if fmt == "srt" else "."
    lines = [] if fmt == "srt" else ["WEBVTT", ""]
    for index, (start, end, words) in enumerate(_segments(text, seconds), 1):
        if fmt == "srt":
            lines.append(str(index))
        lines += [f"{_clock(start, separator)} --> {_clock(end, separator)}", words, ""]
    return "\n".join(lines) + "\n"


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def _verbose(task: str, text: str, seconds: float, granularities: list[str]) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "task": task, "language": "english", "duration": round(seconds, 2), "text": text,
    }  # fmt: skip
    spans = _segments(text, seconds)
    if not granularities or "segment" in granularities:
        reply["segments"] = [
            {"id": i, "seek": 0, "start": start, "end": end, "text": " " + words, "tokens": [],
             "temperature": 0.0, "avg_logprob": -0.25, "compression_ratio": 1.2, "no_speech_prob": 0.01}
            for i, (start, end, words) in enumerate(spans)
        ]  # fmt: skip
    if "word" in granularities:
        words = text.split()
        step = seconds / max(1, len(words))
        reply["words"] = [
            {"word": w, "start": round(i * step, 2), "end": round((i + 1) * step, 2)}
            for i, w in enumerate(words)
        ]
    reply["usage"] = {"type": "duration", "seconds": math.ceil(seconds)}
    return reply
