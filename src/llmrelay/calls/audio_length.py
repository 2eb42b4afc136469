"""How long a transcribed file's audio is, for the per-second price of a transcription whose answer
reports neither its length (`usage.seconds`, verbose_json's `duration`) nor tokens: the text formats,
and JSON from an upstream that reports no usage.

What can be read exactly: the last cue's end of an `srt` / `vtt` answer (the speech's end: trailing
silence is not counted), else the length a WAV upload's header declares. Anything else is None, and
the call is not priced (docs/gateway.md). And the length of a text-to-speech answer, for a model
that bills its audio out by the second (gpt-4o-mini-tts)."""

from __future__ import annotations

import re
import struct

from llmrelay.types.files import FileUpload

# a cue timing's end: "00:01:02,500" (srt) or "00:01:02.500" / "01:02.500" (vtt)
_CUE_END = re.compile(r"-->\s*(?:(\d{1,3}):)?(\d{2}):(\d{2})[,.](\d{3})")
# a text answer is scanned only this far from its end, so a huge one costs little
_TAIL = 4096


def measured_seconds(text: str, file: FileUpload, response_format: str | None) -> float | None:
    """The length read off an answer that reports none: an srt / vtt answer's last cue end, else a
    WAV upload's header; None when neither says."""
    if response_format in ("srt", "vtt"):
        ends = _CUE_END.findall(text[-_TAIL:])
        if ends:
            hours, minutes, seconds, millis = ends[-1]
            return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
    return wav_seconds(file.data)


# OpenAI's pcm: 24 kHz, 16-bit, mono
_PCM_BYTES_PER_SECOND = 24_000 * 2


def speech_seconds(content: bytes, content_type: str) -> float | None:
    """The length of a text-to-speech answer whose format says it exactly: raw pcm (OpenAI's
    24 kHz 16-bit mono) or wav; None for the compressed formats (mp3, opus, aac, flac)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "audio/pcm":
        return len(content) / _PCM_BYTES_PER_SECOND
    if kind in ("audio/wav", "audio/x-wav", "audio/wave"):
        return wav_seconds(content)
    return None


def wav_seconds(data: bytes) -> float | None:
    """A RIFF/WAVE file's length from its `fmt ` chunk's byte rate and its `data` chunk's size; None
    when it is not one (or declares nonsense)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset, byte_rate = 12, 0
    # a well-formed header has a few chunks before `data`; a bound keeps a hostile file cheap
    for _ in range(64):
        if offset + 8 > len(data):
            return None
        kind = data[offset : offset + 4]
        size = int(struct.unpack_from("<I", data, offset + 4)[0])
        body = offset + 8
        if kind == b"fmt " and size >= 16 and body + 16 <= len(data):
            byte_rate = int(struct.unpack_from("<I", data, body + 8)[0])
        elif kind == b"data":
            if byte_rate <= 0:
                return None
            # a streamed WAV may declare a size past its end: count the bytes that are there
            return min(size, len(data) - body) / byte_rate
        offset = body + size + (size & 1)
    return None
