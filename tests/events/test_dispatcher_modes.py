"""CallbackDispatcher in its two hand-over modes: a background thread's loop (the SDK's), and the
loop that emits (a server's): records arrive in order, off the emitting call, and a slow or full
sink never holds up the emitter."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from llmrelay.events.callbacks import CallbackDispatcher
from llmrelay.events.record import CallRecord
from llmrelay.loop_thread import LoopThread


def record(n: int) -> CallRecord:
    return CallRecord(
        call_id=str(n), call_type="completion", model="m", provider="openai", deployment="d",
        start_time=0.0, end_time=0.0, latency_s=0.0,
    )  # fmt: skip


class Heard:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.threads: set[str] = set()

    def on_success(self, rec: CallRecord) -> None:
        self.threads.add(threading.current_thread().name)
        self.ids.append(rec.call_id)


async def test_caller_loop_delivers_in_order_after_the_emitting_call_returns() -> None:
    heard = Heard()
    heard.loop_safe = True  # type: ignore[attr-defined]
    dispatcher = CallbackDispatcher([heard], None, batch_delay=0.001)
    for n in range(100):
        dispatcher.emit("on_success", record(n))
    # nothing ran inside emit: delivery is a background task on this loop
    assert heard.ids == []
    await dispatcher.join()
    assert heard.ids == [str(n) for n in range(100)]
    assert heard.threads == {threading.current_thread().name}
    dispatcher.emit("on_success", record(100))
    await dispatcher.stop()
    assert heard.ids[-1] == "100"


async def test_caller_loop_yields_to_other_tasks_while_draining_a_burst() -> None:
    order: list[str] = []

    def callback(rec: CallRecord) -> None:
        order.append("cb")

    callback.loop_safe = True  # type: ignore[attr-defined]

    dispatcher = CallbackDispatcher([callback], None, batch_delay=0.0)
    for n in range(200):
        dispatcher.emit("on_success", record(n))

    async def request() -> None:
        for _ in range(20):
            order.append("req")
            await asyncio.sleep(0)

    await asyncio.gather(request(), dispatcher.join())
    assert order.count("cb") == 200
    # the request's steps are interleaved with the burst, not queued behind all of it
    first_req_after_cb = order.index("req", order.index("cb"))
    assert first_req_after_cb < 100
    await dispatcher.stop()


async def test_a_stuck_async_sink_never_stalls_the_emitter_and_overflow_is_counted() -> None:
    release = asyncio.Event()
    heard: list[str] = []

    async def stuck(rec: CallRecord) -> None:
        await release.wait()
        heard.append(rec.call_id)

    stuck.loop_safe = True  # type: ignore[attr-defined]

    dispatcher = CallbackDispatcher([stuck], None, maxsize=10, batch_delay=0.0)
    for n in range(11):
        dispatcher.emit("on_success", record(n))
    await asyncio.sleep(0.01)  # the drain task takes a batch and blocks in the sink
    for n in range(11, 40):
        dispatcher.emit("on_success", record(n))  # returns at once: queued or dropped
    assert dispatcher.dropped > 0
    release.set()
    await dispatcher.join()
    assert len(heard) == 40 - dispatcher.dropped
    assert heard == sorted(heard, key=int)
    await dispatcher.stop()


async def test_raising_callback_is_logged_and_later_records_still_arrive(caplog: Any) -> None:
    heard = Heard()

    def broken(rec: CallRecord) -> None:
        raise ValueError("sink bug")

    broken.loop_safe = True  # type: ignore[attr-defined]
    heard.loop_safe = True  # type: ignore[attr-defined]

    dispatcher = CallbackDispatcher([broken, heard], None, batch_delay=0.0)
    dispatcher.emit("on_success", record(1))
    dispatcher.emit("on_success", record(2))
    await dispatcher.join()
    assert heard.ids == ["1", "2"]
    assert "sink bug" in caplog.text
    await dispatcher.stop()


async def test_thread_mode_delivers_on_the_owner_thread_from_any_emitter() -> None:
    heard = Heard()
    thread = LoopThread("dispatch-test")
    dispatcher = CallbackDispatcher([heard], thread.loop)
    try:

        def emit_fifty(base: int) -> None:
            for i in range(50):
                dispatcher.emit("on_success", record(base + i))

        emitters = [threading.Thread(target=emit_fifty, args=(base,)) for base in (0, 1000)]
        for t in emitters:
            t.start()
        for t in emitters:
            t.join()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(dispatcher.join(), thread.loop))
        assert sorted(heard.ids, key=int) == [str(n) for n in (*range(50), *range(1000, 1050))]
        assert heard.threads == {"dispatch-test"}
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(dispatcher.stop(), thread.loop))
    finally:
        thread.stop()


async def test_caller_loop_moves_to_a_new_loop_when_the_old_one_closed() -> None:
    heard = Heard()
    dispatcher = CallbackDispatcher([heard], None, batch_delay=0.0)

    async def emit_and_flush(n: int) -> None:
        dispatcher.emit("on_success", record(n))
        await dispatcher.join()

    await asyncio.to_thread(asyncio.run, emit_and_flush(1))
    dispatcher.emit("on_success", record(2))
    await dispatcher.join()
    assert heard.ids == ["1", "2"]
    await dispatcher.stop()


async def test_caller_loop_runs_callbacks_not_marked_loop_safe_on_a_thread() -> None:
    class Safe(Heard):
        loop_safe = True

    safe, unknown = Safe(), Heard()
    dispatcher = CallbackDispatcher([safe, unknown], None, batch_delay=0.0)
    for n in range(5):
        dispatcher.emit("on_success", record(n))
    await dispatcher.join()
    assert safe.ids == unknown.ids == [str(n) for n in range(5)]
    assert safe.threads == {threading.current_thread().name}
    assert unknown.threads == {"llmrelay-callbacks"}
    await dispatcher.stop()
