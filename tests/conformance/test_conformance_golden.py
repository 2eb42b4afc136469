"""Golden wire fixtures for every adapter and call type: the prepared HTTP request of a canonical
call (method, URL, headers without secrets, JSON body) and what the adapter makes of a recorded
answer in the provider's wire format (the canonical response, or a stream's chunks and the response
they assemble to), compared with golden/<case>/<call>.json."""

from __future__ import annotations

from typing import Any

import pytest
from conformance_calls import adapter_for, decode, parse, prepare, sent_requests
from conformance_cases import (
    CALLS,
    CASE_CALL_IDS,
    CASE_CALLS,
    CASE_IDS,
    CASES,
    STREAMED,
    AdapterCase,
    recorded_bytes,
)
from conformance_golden import canonical, check_golden, request_snapshot

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
    if call in STREAMED:
        chunks = decode(case, call, [recorded_bytes(case.answers[call])])
        actual["chunks"] = canonical([c.to_dict() for c in chunks])
        if call == "stream":
            actual["assembled"] = canonical(stream_chunk_builder(chunks).to_dict())
    else:
        actual["response"] = canonical(parse(case, call).to_dict())
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
            adapter.chat_stream_decoder(None)  # type: ignore[arg-type]
