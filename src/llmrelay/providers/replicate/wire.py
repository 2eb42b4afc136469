"""Replicate's prediction object and error body, as the HTTP API sends them (the fields read here)."""

from __future__ import annotations

from typing import Any

import msgspec

# a prediction is finished in these states; `starting` and `processing` are still running
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})


class PredictionUrls(msgspec.Struct):
    get: str | None = None
    cancel: str | None = None
    stream: str | None = None
    web: str | None = None


class Metrics(msgspec.Struct):
    predict_time: float | None = None
    input_token_count: int | None = None
    output_token_count: int | None = None


class Prediction(msgspec.Struct):
    id: str
    status: str
    model: str | None = None
    version: str | None = None
    # language models answer a list of text pieces; some a single string
    output: list[Any] | str | None = None
    error: Any = None
    urls: PredictionUrls | None = None
    metrics: Metrics | None = None
    created_at: str | None = None


class ProblemBody(msgspec.Struct):
    """An error answer (RFC 7807 style): {"detail", "status", "title"}."""

    detail: Any = None
    title: str | None = None
    status: int | None = None


prediction_decoder = msgspec.json.Decoder(Prediction)
problem_decoder = msgspec.json.Decoder(ProblemBody)
