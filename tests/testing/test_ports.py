"""free_port: a loopback port outside the kernel's ephemeral range, where outgoing connections
cannot take it between the choice and the server's bind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from llmrelay.testing import ports
from llmrelay.testing.ports import free_port


def test_the_port_is_below_the_ephemeral_range_and_free() -> None:
    low = ports._ephemeral_low()
    chosen = {free_port() for _ in range(20)}
    assert all(ports._LOWEST <= port < low for port in chosen)
    assert len(chosen) > 1  # drawn, not one fixed port every test would fight over
    for port in chosen:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_taken_port_is_never_handed_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # a range of one: the only port below it is the taken one, so every draw is refused
        (tmp_path / "range").write_text(f"{port + 1} 60999\n", encoding="ascii")
        monkeypatch.setattr(ports, "_RANGE_FILE", tmp_path / "range")
        monkeypatch.setattr(ports, "_LOWEST", port - 1_000)
        monkeypatch.setattr(ports.random.Random, "randrange", lambda self, a, b: port)
        assert free_port() != port  # fell back to the kernel's choice


def test_a_narrow_range_falls_back_to_the_kernels_choice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "range").write_text("10500 60999\n", encoding="ascii")
    monkeypatch.setattr(ports, "_RANGE_FILE", tmp_path / "range")
    port = free_port()
    assert port >= 10_500  # a draw would have come from [10000, 10500): too few to draw from
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
