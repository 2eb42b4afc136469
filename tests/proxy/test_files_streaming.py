"""The pieces of /v1/files that read an upload as it arrives: the multipart reader (fields before the
file, then the file's bytes) and the batch-line checker give the same result however the network split
the body (seeded random splits, and one byte at a time), and refuse what is malformed naming it."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator

import pytest

from llmrelay.proxy.files.batch_lines import MAX_MODELS, BatchLines
from llmrelay.proxy.files.form_stream import MAX_FIELD_BYTES, FormStream
from llmrelay.testing.stream_splits import split_at
from llmrelay.types.errors import BadRequestError

BOUNDARY = "----llmrelay-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(fields: list[tuple[str, str]], data: bytes, *, filename: str = "in.jsonl", after: str = "") -> bytes:
    out = b"preamble to skip\r\n"
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/jsonl\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    if after:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{after}"\r\n\r\nx\r\n'.encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


async def pieces(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def read(chunks: list[bytes]) -> tuple[dict[str, str], str, bytes]:
    stream = FormStream(pieces(chunks), CONTENT_TYPE)
    fields, part = await stream.head()
    data = b"".join([piece async for piece in stream.file()])
    return fields, part.filename, data


def splits(body: bytes, seed: str) -> list[list[bytes]]:
    rng = random.Random(seed)
    out = [[body], [body[i : i + 1] for i in range(len(body))]]
    for _ in range(50):
        out.append(split_at(body, [rng.randrange(len(body) + 1) for _ in range(rng.randrange(1, 40))]))
    return out


async def test_fields_and_file_read_alike_however_split() -> None:
    rng = random.Random("file-bytes")
    # bytes a naive reader trips on: line breaks, dashes, the boundary's start
    data = bytes(rng.choice(b"\r\n-ab" + BOUNDARY[:6].encode()) for _ in range(3000))
    body = form([("purpose", "batch"), ("custom_llm_provider", "azure")], data)
    for chunks in splits(body, "form"):
        assert await read(chunks) == ({"purpose": "batch", "custom_llm_provider": "azure"}, "in.jsonl", data)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (form([("purpose", "batch")], b"x", after="purpose"), "comes after the file"),
        (form([("purpose", "batch")], b"x")[:-30], "ends before the closing boundary"),
        (form([("purpose", "x" * (MAX_FIELD_BYTES + 10))], b"x"), "longer than"),
        (f"--{BOUNDARY}--\r\n".encode(), "no file part"),
    ],
)
async def test_malformed_forms_are_400s(body: bytes, said: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        await read([body])
    assert said in refused.value.message


async def test_only_a_multipart_body_is_read() -> None:
    with pytest.raises(BadRequestError) as refused:
        FormStream(pieces([b"{}"]), "application/json")
    assert refused.value.code == "invalid_content_type"


def lines(*bodies: dict[str, object], start: int = 0) -> bytes:
    return b"".join(
        json.dumps(
            {"custom_id": f"r{start + i}", "method": "POST", "url": "/v1/chat/completions", "body": b}
        ).encode()
        + b"\n"
        for i, b in enumerate(bodies)
    )


async def check(chunks: list[bytes], max_line: int = 10_000) -> tuple[bytes, dict[str, int]]:
    checker = BatchLines(lambda model: {"mini": "gpt-4o-mini"}.get(model), max_line)
    out = b"".join([piece async for piece in checker.through(pieces(chunks))])
    return out, checker.models


async def test_batch_lines_rewrite_group_models_and_record_first_lines_however_split() -> None:
    source = lines({"model": "mini", "messages": []}, {"model": "gpt-4o"}, {"model": "mini", "n": 2})
    source = source.replace(b"\n", b"\r\n", 1) + b"\n"  # a CRLF line end, and a trailing blank line
    expected = (
        lines({"model": "gpt-4o-mini", "messages": []}).replace(b", ", b",").replace(b": ", b":")
        + lines({"model": "gpt-4o"}, start=1)
        + lines({"model": "gpt-4o-mini", "n": 2}, start=2).replace(b", ", b",").replace(b": ", b":")
    ).rstrip(b"\n") + b"\n"
    for chunks in splits(source, "lines"):
        out, models = await check(chunks)
        assert out == expected
        assert models == {"mini": 1, "gpt-4o": 2}


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (lines({"model": "a"}) + b"not json\n", "line 2 of the batch input file is not a JSON object"),
        (lines({"model": "a"}) + lines({"model": "b"}), "line 2 of the batch input file repeats custom_id"),
        (lines({"messages": []}), "line 1 of the batch input file needs a `body` naming its `model`"),
        (lines({"model": "a", "pad": "x" * 300}), "line 1 of the batch input file is longer than 200 bytes"),
        (b"\n\n", "has no request lines"),
        (b"".join(lines({"model": f"m{i}"}, start=i) for i in range(MAX_MODELS + 1)), "distinct models"),
        (b'{"custom_id": "x", "method": "GET", "url": "/v1/x", "body": {"model": "a"}}', '"method": "POST"'),
        (b"[" * 200 + b"]" * 200, "nest"),
    ],
)
async def test_bad_batch_lines_are_400s_naming_the_line(source: bytes, said: str) -> None:
    for chunks in splits(source, "bad")[:5]:
        with pytest.raises(BadRequestError) as refused:
            await check(chunks, max_line=200 if b"pad" in source else 10_000)
        assert said in refused.value.message
        assert refused.value.param == "file"
