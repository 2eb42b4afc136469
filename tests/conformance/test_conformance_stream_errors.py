"""Every adapter's chat stream ending in its provider's error event (in that provider's own shape)
raises the mapped LLMError, naming the adapter's provider and keeping the provider's message and
error code, however the bytes were split."""

from __future__ import annotations

import random

import pytest
from conformance_calls import decode, recorded_bytes
from conformance_case import AdapterCase
from conformance_cases import CASES

from llmrelay.testing.stream_splits import split_at
from llmrelay.types.errors import LLMError

ERROR_CASES = [c for c in CASES if c.error_stream is not None]


def test_every_streaming_adapter_has_an_error_stream() -> None:
    assert [c.id for c in CASES if "stream" in c.calls and c.error_stream is None] == []


def _raised(case: AdapterCase, pieces: list[bytes]) -> LLMError:
    with pytest.raises(LLMError) as info:
        decode(case, "stream", pieces)
    return info.value


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.id for c in ERROR_CASES])
def test_error_event_raises_the_mapped_error(case: AdapterCase) -> None:
    expected = case.error_stream
    assert expected is not None
    data = recorded_bytes(expected.answer)
    whole = _raised(case, [data])
    assert type(whole).__name__ == expected.error_class
    assert whole.provider == case.provider
    assert expected.message in whole.message
    assert whole.code == expected.code
    rng = random.Random(case.id)
    for _ in range(20):
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 30))]
        error = _raised(case, split_at(data, cuts))
        assert (type(error), error.message, error.code, error.provider) == (
            type(whole),
            whole.message,
            whole.code,
            whole.provider,
        )
