"""A stream's finishers: async steps that must complete before the client gets the stream's last bytes.

The key gate makes a keyed call's spend durable this way: the gateway's relay awaits the finishers
once the upstream's last event is read (usage and cost known) and before it sends the end marker, so
a client that saw the whole answer was billed for it — while the stream's bytes still go out raw.
A stream the relay could not finish normally (the client left, the upstream broke) is finished with
its error; every finisher runs once, whoever calls first.

The finishers ride on the stream object as `_finishers` (as `Served` rides as `_served`): streams
come from the engine, which knows nothing of the gate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llmrelay.types.errors import LLMError

# called with None after a normal end, else with the error that ended the stream (a StreamClosedEarly
# when the reader left)
Finisher = Callable[[LLMError | None], Awaitable[None]]


def add_finisher(stream: object, finisher: Finisher) -> None:
    found: list[Finisher] | None = getattr(stream, "_finishers", None)
    if found is None:
        stream._finishers = [finisher]  # type: ignore[attr-defined]
    else:
        found.append(finisher)


def has_finishers(stream: object) -> bool:
    return bool(getattr(stream, "_finishers", None))


async def finish_stream(stream: object, error: LLMError | None) -> None:
    """Run the stream's finishers (in the order they were added), each at most once; a finisher's
    own error propagates after the others ran."""
    found: list[Finisher] | None = getattr(stream, "_finishers", None)
    if not found:
        return
    finishers = list(found)
    found.clear()
    failure: BaseException | None = None
    for finisher in finishers:
        try:
            await finisher(error)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, once every finisher ran
            failure = failure or exc
    if failure is not None:
        raise failure
