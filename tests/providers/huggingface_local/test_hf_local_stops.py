"""StopScanner: the text handed on while a generation decodes never depends on how the text grew
token by token, never holds a stop sequence or half a character, and ends where the first stop
sequence begins."""

from __future__ import annotations

import random

import pytest

from llmrelay.local.stops import StopScanner


def _run(pieces: list[str], stops: tuple[str, ...]) -> tuple[str, bool, list[str]]:
    scanner = StopScanner(stops)
    decoded, handed, stopped = "", [], False
    for piece in pieces:
        decoded += piece
        ready, stopped = scanner.scan(decoded)
        handed.append(ready)
        if stopped:
            break
    if not stopped:
        handed.append(scanner.flush())
    return "".join(handed), stopped, handed


def _random_growth(text: str, rng: random.Random) -> list[str]:
    cuts = sorted({rng.randrange(len(text) + 1) for _ in range(rng.randrange(1, 12))})
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize(
    ("text", "stops", "expected", "stopped"),
    [
        ("hello world. bye", ("world",), "hello ", True),
        ("hello world. bye", ("xyz",), "hello world. bye", False),
        ("a<|end|>b", ("<|end|>", "b"), "a", True),
        ("abcabd", ("abd",), "abc", True),
        ("no stops at all", (), "no stops at all", False),
        ("ends with a partial <|e", ("<|end|>",), "ends with a partial <|e", False),
    ],
)
def test_any_growth_hands_on_the_same_text(
    text: str, stops: tuple[str, ...], expected: str, stopped: bool
) -> None:
    rng = random.Random(text)
    for _ in range(40):
        out, was_stopped, handed = _run(_random_growth(text, rng), stops)
        assert (out, was_stopped) == (expected, stopped)
        # nothing handed on ever held a stop sequence
        assert not any(s in "".join(handed) for s in stops if stopped)


def test_half_a_character_is_held_back() -> None:
    scanner = StopScanner(())
    assert scanner.scan("caf\ufffd") == ("caf", False)
    assert scanner.scan("café") == ("é", False)


def test_a_possible_stop_start_is_held_until_it_is_not_one() -> None:
    scanner = StopScanner(("STOP",))
    assert scanner.scan("go ST") == ("go ", False)
    assert scanner.scan("go STA") == ("STA", False)
    assert scanner.scan("go STAY ST") == ("Y ", False)
    assert scanner.scan("go STAY STOP now") == ("", True)
    assert scanner.text == "go STAY "


def test_invalid_bytes_are_handed_on_once_no_character_can_complete_them() -> None:
    """A model may generate bytes that are no UTF-8 at all (a random model does): replacement
    characters that stay four tokens are the model's text, not half a character."""
    scanner = StopScanner(())
    handed = [scanner.scan("ok \ufffd" + "\ufffd" * n)[0] for n in range(5)]
    assert handed[:3] == ["ok ", "", ""]
    assert "".join(handed) == "ok " + "\ufffd" * 4
    assert scanner.flush() == "\ufffd"  # the fifth: held again, in case it starts a character
