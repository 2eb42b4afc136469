"""Golden wire fixtures for every adapter and call type: the prepared HTTP request of a canonical
call (method, URL, headers without secrets, JSON body) and what the adapter makes of a recorded
answer in the provider's wire format (the canonical response, or a stream's chunks and the response
they assemble to), compared with golden/<case>/<call>.json."""

from __future__ import annotations

from typing import Any

import pytest
from conformance_calls import (
    adapter_for,
    canonical_request,
    decode,
    parse,
    prepare,
    recorded_bytes,
    sent_requests,
)
from conformance_case import CALLS, STREAMED, AdapterCase
from conformance_cases import CASE_CALL_IDS, CASE_CALLS, CASE_IDS, CASES
from conformance_golden import GOLDEN, canonical, check_golden, request_snapshot

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.errors import BadRequestError


def test_every_registered_adapter_has_a_case() -> None:
    assert {c.provider for c in CASES} == set(ProviderRegistry.known())


@pytest.mark.parametrize(("case", "call"), CASE_CALLS, ids=CASE_CALL_IDS)
def test_wire_matches_golden(case: AdapterCase, call: str) -> None:
    sent = sent_requests(case, call)
    actual: dict[str, Any] = {"requests": [request_snapshot(r, case) for r in sent]}
    # the request that carries the answer streams exactly when the call does
    assert sent[-1].stream is (call in STREAMED)
    wire = recorded_bytes(case.answers[call])
    if call in STREAMED:
        chunks = decode(case, call, [wire])
        # one answer: every chunk names the same id and time (even where the adapter makes them up)
        assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
        actual["chunks"] = canonical([c.to_dict() for c in chunks], wire)
        if call == "stream":
            actual["assembled"] = canonical(stream_chunk_builder(chunks).to_dict(), wire)
    else:
        actual["response"] = canonical(parse(case, call).to_dict(), wire)
    check_golden(case, call, actual)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_undeclared_call_types_are_refused(case: AdapterCase) -> None:
    """A case declares what its adapter serves: everything else is refused as unsupported (text
    completions excepted: without them the client serves a text call through chat)."""
    adapter = adapter_for(case)
    assert adapter.supports_text_completion is ("text_completion" in case.calls)
    for call in CALLS:
        if call in case.calls or call in STREAMED or call == "text_completion":
            continue
        with pytest.raises(BadRequestError, match="does not support"):
            prepare(case, call)
    if "stream" not in case.calls:
        with pytest.raises(BadRequestError, match="does not support"):
            adapter.chat_stream_decoder(canonical_request(case, "stream"))


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a case and a call type it serves (a renamed or dropped one is
    deleted, not left to look checked)."""
    expected = {GOLDEN / c.id / f"{call}.json" for c, call in CASE_CALLS}
    assert set(GOLDEN.glob("*/*.json")) == expected
