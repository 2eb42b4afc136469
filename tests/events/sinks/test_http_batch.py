"""The batching poster under the Langfuse and webhook sinks: a full batch goes at once, oversized
batches are split, the backoff is capped, a `check` callback chooses what to send again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from llmrelay.events.sinks.http_batch import BatchPoster
from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, ScriptedStatuses, json_receiver


@pytest.fixture
def endpoint() -> Iterator[tuple[str, ReceiverLog, ScriptedStatuses]]:
    log, statuses = ReceiverLog(), ScriptedStatuses()
    with ReceiverThread([json_receiver("/in", log, statuses)]) as server:
        yield server.base_url + "/in", log, statuses


def encode(items: Sequence[Any]) -> bytes:
    return json.dumps(list(items)).encode()


def poster(url: str, **options: Any) -> BatchPoster:
    settings: dict[str, Any] = {"flush_interval": 30.0, "backoff_base": 0.01, **options}
    return BatchPoster(name="test", url=url, headers={}, encode=encode, **settings)


def test_a_full_batch_goes_at_once(endpoint: tuple[str, ReceiverLog, ScriptedStatuses]) -> None:
    url, log, _ = endpoint
    sender = poster(url, batch_size=2)
    sender.add(["a"])
    sender.add(["b"])  # the batch is full: sent without waiting for the 30 s interval
    (request,) = log.wait_for(lambda items: len(items) == 1, timeout=5)
    assert json.loads(request.body) == ["a", "b"]
    sender.add(["c"])
    sender.add(["d"])
    log.wait_for(lambda items: len(items) == 2, timeout=5)
    sender.close()


def test_batches_over_the_byte_limit_are_split(endpoint: tuple[str, ReceiverLog, ScriptedStatuses]) -> None:
    url, log, _ = endpoint
    sender = poster(url, max_batch_bytes=12)
    sender.add(["aaaa", "bbbb", "cccc", "x" * 20])
    sender.close()
    bodies = [json.loads(r.body) for r in log.items]
    assert bodies == [["aaaa"], ["bbbb"], ["cccc"]]  # the item too big on its own is dropped
    assert sender.sent == 3 and sender.failed == 1


def test_429_retried_after_the_capped_backoff(endpoint: tuple[str, ReceiverLog, ScriptedStatuses]) -> None:
    url, log, statuses = endpoint
    statuses.script(429)
    sender = poster(url, backoff_base=5.0, backoff_max=0.2)  # no Retry-After in the answer
    started = time.monotonic()
    sender.add(["a"])
    assert sender.flush(5)
    assert time.monotonic() - started >= 0.2
    sender.close()
    assert len(log.items) == 2 and sender.sent == 1


def test_check_names_the_items_to_send_again(endpoint: tuple[str, ReceiverLog, ScriptedStatuses]) -> None:
    url, log, _ = endpoint
    answers = iter([["b"], []])
    sender = poster(url, check=lambda status, body, batch: next(answers))
    sender.add(["a", "b"])
    sender.close()
    assert [json.loads(r.body) for r in log.items] == [["a", "b"], ["b"]]
    assert sender.sent == 2


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        poster("http://127.0.0.1:9", batch_size=0)
