"""The Gemini simulator checks keys and fields as the Gemini API does and streams SSE with CRLF."""

from __future__ import annotations

import pytest
from simtest_helpers import decode, post, sse_events

from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import embedding_vector, reply_text

CONTENTS = [{"role": "user", "parts": [{"text": "Describe the sea"}]}]
TOOLS = [
    {
        "functionDeclarations": [
            {
                "name": "find",
                "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING"}}, "required": ["q"]},
            }
        ]
    }
]


def url(sim: RunningSimulator, action: str, model: str = "gemini-2.5-flash") -> str:
    return f"{sim.api_base}/models/{model}:{action}"


async def generate(sim: RunningSimulator, body: dict, action: str = "generateContent", query: str = ""):
    return await post(url(sim, action) + query, body, {"x-goog-api-key": sim.api_key})


async def test_missing_key_is_403_and_bad_key_400_as_gemini_answers(gemini_sim: RunningSimulator) -> None:
    status, _, raw = await post(url(gemini_sim, "generateContent"), {"contents": CONTENTS})
    assert status == 403
    assert decode(raw)["error"]["status"] == "PERMISSION_DENIED" and decode(raw)["error"]["code"] == 403
    gemini_sim.configure(api_keys={"good-key"})
    status, _, raw = await post(
        url(gemini_sim, "generateContent"), {"contents": CONTENTS}, {"x-goog-api-key": "bad"}
    )
    error = decode(raw)["error"]
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["reason"] == "API_KEY_INVALID"
    status, _, _ = await post(url(gemini_sim, "generateContent") + "?key=good-key", {"contents": CONTENTS})
    assert status == 200


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({}, "contents is not specified"),
        ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, "valid role"),
        ({"contents": CONTENTS, "messages": []}, 'Unknown name "messages"'),
        ({"contents": CONTENTS, "generationConfig": {"max_tokens": 5}}, 'Unknown name "max_tokens"'),
        ({"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
         "function response turn"),
    ],
)  # fmt: skip
async def test_invalid_requests_are_400(
    gemini_sim: RunningSimulator, request_body: dict, fragment: str
) -> None:
    status, _, raw = await generate(gemini_sim, request_body)
    assert status == 400
    assert fragment in decode(raw)["error"]["message"]


async def test_generate_content_answer(gemini_sim: RunningSimulator) -> None:
    body = {"contents": CONTENTS, "systemInstruction": {"parts": [{"text": "Be poetic"}]}}
    status, _, raw = await generate(gemini_sim, body)
    answer = decode(raw)
    assert status == 200
    (candidate,) = answer["candidates"]
    assert candidate["content"] == {"parts": [{"text": reply_text("Describe the sea")}], "role": "model"}
    assert candidate["finishReason"] == "STOP"
    usage = answer["usageMetadata"]
    assert usage["candidatesTokenCount"] == len(reply_text("Describe the sea").split())
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    # snake_case field names are accepted too, as protobuf JSON allows
    snake = {"contents": CONTENTS, "generation_config": {"max_output_tokens": 2}}
    answer = decode((await generate(gemini_sim, snake))[2])
    assert answer["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_stream_is_sse_with_crlf_and_usage_last(gemini_sim: RunningSimulator) -> None:
    status, hdrs, raw = await generate(
        gemini_sim, {"contents": CONTENTS}, "streamGenerateContent", "?alt=sse"
    )
    assert status == 200 and hdrs["content-type"].startswith("text/event-stream")
    assert raw.endswith(b"\r\n\r\n")
    chunks = [decode(e.data) for e in sse_events(raw, seed=11)]
    text = "".join(p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"])
    assert text == reply_text("Describe the sea")
    assert "finishReason" not in chunks[0]["candidates"][0]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == len(text.split())
    # without alt=sse: one JSON array of the same responses
    raw = (await generate(gemini_sim, {"contents": CONTENTS}, "streamGenerateContent"))[2]
    assert decode(raw) == chunks


async def test_function_call_and_response(gemini_sim: RunningSimulator) -> None:
    answer = decode((await generate(gemini_sim, {"contents": CONTENTS, "tools": TOOLS}))[2])
    part = answer["candidates"][0]["content"]["parts"][0]
    assert part == {"functionCall": {"name": "find", "args": {"q": "Describe the sea"}}}
    result = {"functionResponse": {"name": "find", "response": {"r": 1}}}
    follow = [*CONTENTS, {"role": "model", "parts": [part]}, {"role": "user", "parts": [result]}]
    answer = decode((await generate(gemini_sim, {"contents": follow, "tools": TOOLS}))[2])
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == 'Tool result received: {"r":1}'
    none = {"contents": CONTENTS, "tools": TOOLS, "toolConfig": {"functionCallingConfig": {"mode": "NONE"}}}
    assert "text" in decode((await generate(gemini_sim, none))[2])["candidates"][0]["content"]["parts"][0]


async def test_thoughts_are_counted(gemini_sim: RunningSimulator) -> None:
    body = {"contents": CONTENTS, "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    answer = decode((await generate(gemini_sim, body))[2])
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True
    usage = answer["usageMetadata"]
    assert usage["thoughtsTokenCount"] > 0
    assert (
        usage["totalTokenCount"]
        == usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )


async def test_embed_and_batch_embed(gemini_sim: RunningSimulator) -> None:
    one = decode((await generate(gemini_sim, {"content": {"parts": [{"text": "hi"}]}}, "embedContent"))[2])
    assert one["embedding"]["values"] == list(embedding_vector("hi", 3072))
    model = "models/gemini-2.5-flash"
    requests = [
        {"model": model, "content": {"parts": [{"text": t}]}, "outputDimensionality": 4} for t in "ab"
    ]
    many = decode((await generate(gemini_sim, {"requests": requests}, "batchEmbedContents"))[2])
    assert [e["values"] for e in many["embeddings"]] == [list(embedding_vector(t, 4)) for t in ("a", "b")]
    requests[1]["model"] = "models/other"
    status, _, _ = await generate(gemini_sim, {"requests": requests}, "batchEmbedContents")
    assert status == 400


async def test_safety_block_and_retry_info(gemini_sim: RunningSimulator) -> None:
    _, _, raw = await post(
        url(gemini_sim, "generateContent"),
        {"contents": CONTENTS},
        {"x-goog-api-key": "k", "x-sim-fault": "content-policy"},
    )
    answer = decode(raw)
    assert answer["candidates"][0]["finishReason"] == "SAFETY"
    assert "content" not in answer["candidates"][0]
    gemini_sim.faults.set(status=429, retry_after=7, times=1)
    status, hdrs, raw = await generate(gemini_sim, {"contents": CONTENTS})
    error = decode(raw)["error"]
    assert status == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0]["retryDelay"] == "7s" and hdrs["retry-after"] == "7"


async def test_unknown_method_is_404(gemini_sim: RunningSimulator) -> None:
    status, _, raw = await generate(gemini_sim, {"contents": CONTENTS}, "frobnicate")
    assert status == 404 and decode(raw)["error"]["status"] == "NOT_FOUND"
