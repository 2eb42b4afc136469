"""The body-deadline sweeper outlives the read that started it until a tick finds no read: requests
that wait on something after their body (a keyed call's spend write lets the loop run the sweeper)
share one sweeper task instead of starting one each."""

from __future__ import annotations

import asyncio
import contextlib

from llmrelay.proxy.body_deadline import BodyDeadlines


async def test_reads_in_a_row_share_one_sweeper_which_ends_once_a_tick_finds_none() -> None:
    deadlines = BodyDeadlines(0.2)  # a tick of 0.05 s
    task = asyncio.current_task()
    assert task is not None
    deadlines.reading[task] = deadlines.epoch
    deadlines.start_sweeper()
    sweeper = deadlines.sweeper
    assert sweeper is not None
    for _ in range(5):  # each "request" ends its read, then waits a loop pass (the sweeper runs)
        del deadlines.reading[task]
        await asyncio.sleep(0)
        assert deadlines.sweeper is sweeper and not sweeper.done()
        deadlines.reading[task] = deadlines.epoch  # the next read finds the sweeper running
    del deadlines.reading[task]
    await asyncio.wait_for(sweeper, timeout=5)
    assert deadlines.sweeper is None


async def test_a_late_read_is_still_cancelled() -> None:
    deadlines = BodyDeadlines(0.2)

    async def stalled_read() -> None:
        await asyncio.Event().wait()

    read = asyncio.get_running_loop().create_task(stalled_read())
    deadlines.reading[read] = deadlines.epoch
    deadlines.start_sweeper()
    with contextlib.suppress(asyncio.CancelledError):  # the read's own cancellation
        await asyncio.wait_for(read, timeout=5)
    assert read.cancelled() and deadlines.timed_out(read)
