"""TextStream's chunk conversions: text chunks survive the trip through chat chunks, chat chunks
without text are not passed to a text client, a whole answer can be read as a stream."""

from __future__ import annotations

from llmrelay.calls.served import Served, attach_served
from llmrelay.core.text_stream import TextStream, chat_chunk_of_text, text_chunk_of_chat
from llmrelay.types.chat import StreamOptions
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, Usage

USAGE = Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7)


def text_chunk(*choices: TextChoice, usage: Usage | None = None) -> TextCompletionResponse:
    return TextCompletionResponse(
        id="cmpl-1", created=5, model="m", choices=list(choices), usage=usage, system_fingerprint="fp"
    )


def test_text_chunks_round_trip_through_chat_chunks() -> None:
    samples = [
        text_chunk(TextChoice(index=0, text="Hel", finish_reason=None, logprobs={"tokens": ["Hel"]})),
        text_chunk(TextChoice(index=1, text="", finish_reason="length")),
        text_chunk(usage=USAGE),
    ]
    for sample in samples:
        assert text_chunk_of_chat(chat_chunk_of_text(sample)) == sample


def test_chat_chunks_without_text_are_dropped() -> None:
    def chunk(delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        return ChatChunk(id="m", created=1, model="c", choices=[choice])

    assert text_chunk_of_chat(chunk(Delta(role="assistant", content=""))) is None
    assert text_chunk_of_chat(chunk(Delta(tool_calls=[ToolCallDelta(index=0, id="t")]))) is None
    assert text_chunk_of_chat(chunk(Delta(reasoning_content="hmm"))) is None
    ended = text_chunk_of_chat(chunk(Delta(), "stop"))
    assert ended is not None and ended.choices == [TextChoice(index=0, text="", finish_reason="stop")]
    said = text_chunk_of_chat(chunk(Delta(content="hi")))
    assert said is not None and said.object == "text_completion" and said.choices[0].text == "hi"


async def test_whole_answer_as_a_stream() -> None:
    whole = text_chunk(TextChoice(index=0, text="all of it", finish_reason="stop"), usage=USAGE)
    attach_served(whole, Served(cost_micros=42))
    for include_usage, expected in ((False, 1), (True, 2)):
        options = StreamOptions(include_usage=include_usage)
        request = TextCompletionRequest(model="m", prompt="p", stream=True, stream_options=options)
        stream = await TextStream.of_response(whole, request)
        chunks = [chunk async for chunk in stream]
        assert len(chunks) == expected and chunks[0].choices[0].text == "all of it"
        assert stream.usage == USAGE and stream.cost_micros == 42
        assert stream.response().choices[0].text == "all of it"
