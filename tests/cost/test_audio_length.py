"""How long audio is when the upstream does not say (calls/audio_length.py): an srt / vtt answer's
last cue, a WAV's header, a pcm answer's size; hostile or unknown files are None, never an error."""

from __future__ import annotations

import struct

import pytest

from llmrelay.calls.audio_length import measured_seconds, speech_seconds, wav_seconds
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.files import FileUpload

NOT_WAV = FileUpload(data=b"ID3\x04" + b"\0" * 100, filename="a.mp3")


@pytest.mark.parametrize(
    ("fmt", "text", "seconds"),
    [
        ("srt", "1\n00:00:00,000 --> 00:00:02,000\na\n\n2\n00:00:02,000 --> 01:02:03,456\nb\n", 3723.456),
        ("vtt", "WEBVTT\n\n00:00.000 --> 00:07.250\na\n", 7.25),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.500 align:start\na\n", 1.5),
        ("srt", "no cues at all", None),
        ("text", "00:00:00,000 --> 00:00:09,000", None),  # a text answer has no cues, whatever it says
    ],
)
def test_the_last_cue_of_a_subtitle_answer(fmt: str, text: str, seconds: float | None) -> None:
    assert measured_seconds(text, NOT_WAV, fmt) == seconds


def test_a_wav_upload_says_its_length_when_the_answer_does_not() -> None:
    wav = FileUpload(data=spoken_wav("hi", 1.25), filename="a.wav")
    assert measured_seconds("hi", wav, "text") == 1.25
    assert measured_seconds("hi", wav, "srt") == 1.25  # an srt without cues


def test_hostile_wavs_are_none_or_bounded() -> None:
    good = spoken_wav("x", 2.0)
    assert wav_seconds(good) == 2.0
    assert wav_seconds(good[:1000]) == (1000 - good.index(b"data") - 8) / 16_000  # cut short: what is there
    assert wav_seconds(b"RIFF\0\0\0\0WAVE") is None
    assert wav_seconds(b"RIFF\0\0\0\0WAVEdata" + struct.pack("<I", 10) + b"\0" * 10) is None  # no fmt
    zero_rate = (
        b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 0, 2, 16)
        + b"data"
        + struct.pack("<I", 4)
        + b"\0" * 4
    )
    assert wav_seconds(b"RIFF\0\0\0\0WAVE" + zero_rate) is None
    # chunk after chunk without `data`: the walk stops after a bounded number
    junk = (b"junk" + struct.pack("<I", 0)) * 10_000
    assert wav_seconds(b"RIFF\0\0\0\0WAVE" + junk) is None
    huge = b"RIFF\0\0\0\0WAVE" + b"junk" + struct.pack("<I", 0xFFFFFFFF)
    assert wav_seconds(huge) is None


def test_speech_answers_of_a_known_length() -> None:
    assert speech_seconds(b"\0" * 48_000, "audio/pcm") == 1.0
    assert speech_seconds(spoken_wav("", 0.5), "audio/wav; codecs=1") == 0.5
    assert speech_seconds(b"ID3" + b"\0" * 48_000, "audio/mpeg") is None
