"""A simulator of Replicate's HTTP API for language models: create a prediction (an official model
by name, or a version), with `Prefer: wait` (answered finished, unless the model is made slow) or
without (answered `starting`), poll it, and read its output as server-sent events at its
`urls.stream`; Bearer auth and Replicate's {"detail", "status", "title"} errors.

Model behaviour is the shared simulated one: the answer to a prompt is `reply_text(prompt)`, output
as a list of word pieces. Slowness and token reporting are set per simulator
(`configure_predictions(polls=2, token_counts=False)`) or per request with the `x-sim-polls` header.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
)
from llmrelay.testing.base import encode_json as _json

POLLS_HEADER = "x-sim-polls"
_VERSION = re.compile(r"^[0-9a-f]{64}$")
_KEPT = 10_000
_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Insufficient credit",
    403: "Forbidden",
    404: "Not found",
    422: "Input validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


@dataclass(slots=True)
class _Prediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    base_url: str
    pieces: tuple[str, ...]
    metrics: dict[str, Any]
    stream: bool
    polls_left: int
    status: str
    error: str | None = None
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))

    def as_json(self) -> dict[str, Any]:
        done = self.status == "succeeded"
        urls = {
            "get": f"{self.base_url}/v1/predictions/{self.id}",
            "cancel": f"{self.base_url}/v1/predictions/{self.id}/cancel",
            "web": f"https://replicate.com/p/{self.id}",
        }
        if self.stream:
            urls["stream"] = f"{self.base_url}/v1/streams/{self.id}"
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": "",
            "output": list(self.pieces) if done else None,
            "data_removed": False,
            "error": self.error,
            "status": self.status,
            "created_at": self.created_at,
            "urls": urls,
            "metrics": self.metrics if done else {},
        }


class ReplicateSimulator(ProviderSimulator):
    kind = "replicate"
    api_base_path = "/v1"
    default_context_window = 8192

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._predictions: OrderedDict[str, _Prediction] = OrderedDict()
        self.polls = 0
        self.token_counts = True

    # ---- controls
    def configure_predictions(self, *, polls: int | None = None, token_counts: bool | None = None) -> None:
        """polls: GETs a prediction stays `processing` (after a `Prefer: wait` that ran out);
        token_counts: whether metrics report input/output token counts."""
        if polls is not None:
            self.polls = polls
        if token_counts is not None:
            self.token_counts = token_counts

    def reset_state(self) -> None:
        self._predictions.clear()
        self.polls = 0
        self.token_counts = True

    # ---- provider specifics
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v1/models/{owner}/{name}/predictions", self.create_official),
            ("POST", "/v1/predictions", self.create_version),
            ("GET", "/v1/predictions/{id}", self.get),
            ("GET", "/v1/streams/{id}", self.stream),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"title": _TITLES.get(status, "Error"), "detail": message, "status": status, **detail}

    def stream_error_event(self, status: int, message: str) -> bytes:
        return _event("error", "0", _json({"detail": message}).decode())

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not self.key_accepted(token.strip()):
            return ProviderError(401, "You did not pass a valid authentication token")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            window = self.settings.context_window
            error = f"Prompt length exceeds the maximum context length of {window} tokens"
        else:
            error = "The input was flagged by the safety checker"
        if call.path.startswith("/v1/streams/"):
            return StreamReply([_event("error", "0", _json({"detail": error}).decode())])
        failed: dict[str, Any] = {"id": "failed" + c.stable_id("", call.path, length=20),
                                  "status": "failed", "error": error, "output": None, "urls": {},
                                  "metrics": {}}  # fmt: skip
        return JsonReply(failed, status=201)

    # ---- endpoints
    async def create_official(self, call: Call) -> Reply:
        model = f"{call.match['owner']}/{call.match['name']}"
        return self._create(call, model, c.stable_id("", model, length=64))

    async def create_version(self, call: Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        ref = body.get("version")
        if not isinstance(ref, str) or not ref:
            raise ProviderError(422, "- version: version is required", invalid_fields=[])
        model, _, version = ref.rpartition(":")
        if not model and "/" in version:  # `owner/name` of an official model
            model, version = version, c.stable_id("", version, length=64)
        if not _VERSION.match(version):
            raise ProviderError(422, "Invalid version or not permitted")
        return self._create(call, model or "community/model", version)

    async def get(self, call: Call) -> Reply:
        prediction = self._find(call.match["id"])
        if prediction.status not in ("succeeded", "failed"):
            if prediction.polls_left > 0:
                prediction.polls_left -= 1
                prediction.status = "processing"
            else:
                prediction.status = "succeeded"
        return JsonReply(prediction.as_json())

    async def stream(self, call: Call) -> Reply:
        prediction = self._find(call.match["id"])
        if not prediction.stream:
            raise ProviderError(404, "Not found.")
        prediction.status = "succeeded"
        events = [
            _event("output", str(i), piece)
            for i, piece in enumerate(c.group_pieces(prediction.pieces, call.chunks))
            if piece
        ]
        events.append(_event("done", str(len(events)), "{}"))
        return StreamReply(events)

    # ---- helpers
    def _create(self, call: Call, model: str, version: str) -> Reply:
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            raise ProviderError(422, "- input: input is required", invalid_fields=[{"field": "input"}])
        input_ = body["input"]
        prompt = input_.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise ProviderError(422, "- input: prompt is required", invalid_fields=[{"field": "prompt"}])
        system = input_.get("system_prompt") if isinstance(input_.get("system_prompt"), str) else ""
        prompt_tokens = c.count_tokens(f"{system} {prompt}")
        pieces = c.word_pieces(_answer(prompt, input_))
        metrics: dict[str, Any] = {"predict_time": 0.05, "total_time": 0.06}
        if self.token_counts:
            metrics.update(input_token_count=prompt_tokens, output_token_count=len(pieces))
        polls = int(call.headers.get(POLLS_HEADER, self.polls))
        waited = "prefer" in call.headers and call.headers["prefer"].startswith("wait")
        stream = body.get("stream") is True
        status = "starting"
        if waited and not stream:
            status = "processing" if polls > 0 else "succeeded"
        prediction = _Prediction(
            id=c.stable_id("", model, _json(input_).decode(), str(time.monotonic_ns()), length=26),
            model=model,
            version=version,
            input=input_,
            base_url=_base_url(call),
            pieces=pieces,
            metrics=metrics,
            stream=stream,
            polls_left=polls,
            status=status,
        )
        if prompt_tokens > self.settings.context_window:
            prediction.status = "failed"
            prediction.error = (
                f"Prompt length ({prompt_tokens} tokens) exceeds the maximum context length "
                f"({self.settings.context_window})"
            )
        self._keep(prediction)
        return JsonReply(prediction.as_json(), status=201)

    def _keep(self, prediction: _Prediction) -> None:
        self._predictions[prediction.id] = prediction
        while len(self._predictions) > _KEPT:
            self._predictions.popitem(last=False)

    def _find(self, prediction_id: str) -> _Prediction:
        prediction = self._predictions.get(prediction_id)
        if prediction is None:
            raise ProviderError(404, "Not found.")
        return prediction


def _answer(prompt: str, input_: dict[str, Any]) -> str:
    text = c.reply_text(prompt)
    for stop in str(input_.get("stop_sequences") or "").split(","):
        at = text.find(stop) if stop else -1
        if at >= 0:
            text = text[:at]
    cap = input_.get("max_tokens", input_.get("max_new_tokens"))
    text, _ = c.truncate_to_tokens(text, cap if isinstance(cap, int) else None)
    return text


def _event(name: str, event_id: str, data: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\nid: {event_id}\n{lines}\n".encode()


def _base_url(call: Call) -> str:
    return "http://" + call.headers.get("host", "127.0.0.1")
