"""Fault settings: the header syntax and the armed-fault bookkeeping."""

from __future__ import annotations

import pytest

from llmrelay.testing.faults import Fault, FaultControls, FaultHeaderError, parse_fault_header


def test_header_settings_and_flags() -> None:
    fault = parse_fault_header("status=429; retry-after=1.5; cut-after=3 ;chunk_delay=0.1; invalid-json")
    assert fault == Fault(status=429, retry_after=1.5, cut_after=3, chunk_delay=0.1, invalid_json=True)
    assert parse_fault_header("context-window").kind == "context_window"
    assert parse_fault_header("kind=content_policy; path=/v1/messages") == Fault(
        kind="content_policy", path="/v1/messages"
    )


@pytest.mark.parametrize("header", ["nope", "status=abc", "colour=red", "kind=other"])
def test_bad_headers_are_refused(header: str) -> None:
    with pytest.raises(FaultHeaderError):
        parse_fault_header(header)


def test_times_paths_and_order() -> None:
    controls = FaultControls()
    controls.fail_next(1, 503, path="/embeddings")
    controls.set(status=500, times=2)
    assert controls.take("/v1/chat/completions").status == 500
    assert controls.take("/v1/embeddings").status == 503  # first armed that matches
    assert controls.take("/v1/embeddings").status == 500
    assert controls.take("/v1/embeddings") == Fault()
    controls.set(latency=0.1)
    assert [controls.take("/x").latency for _ in range(3)] == [0.1, 0.1, 0.1]
    controls.clear()
    assert controls.active == [] and controls.take("/x") == Fault()
    with pytest.raises(ValueError):
        controls.set(status=500, times=0)
