"""The Replicate adapter (api.replicate.com/v1), sans-IO.

A call creates a prediction: `POST /models/{owner}/{name}/predictions` for an official model run by
name, `POST /predictions` with `version` for a pinned version. Without streaming the request carries
`Prefer: wait`, so the answer is usually the finished prediction; one still `starting`/`processing`
when the wait ran out is polled (`GET /predictions/{id}`) through `follow_up`. A streamed call
creates its prediction with `stream: true` and no wait, then reads the SSE stream at the
prediction's `urls.stream`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.providers.paths import path_part
from llmrelay.providers.replicate.errors import classify, error_message
from llmrelay.providers.replicate.models import PROVIDER, parse_model
from llmrelay.providers.replicate.prompt import build_input, prompt_text
from llmrelay.providers.replicate.response import decode_prediction, is_running, to_chat_response
from llmrelay.providers.replicate.stream import ReplicateStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, InternalServerError, LLMError
from llmrelay.types.http import FollowUp, HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, hidden_params

REPLICATE_CHAT_PARAMS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "stop", "seed",
     "presence_penalty", "frequency_penalty"}
)  # fmt: skip
DEFAULT_POLL_INTERVAL = 0.5
# hosts that may receive the key when a prediction names its stream URL: Replicate's own (the stream
# lives on another host than the API), and the configured API host
_REPLICATE_DOMAINS = ("replicate.com", "replicate.delivery")
# Replicate ids that the price catalog spells otherwise (it drops the `meta-` of Llama 3's names)
_CATALOG_NAMES = {
    "meta/meta-llama-3-8b": "meta/llama-3-8b",
    "meta/meta-llama-3-8b-instruct": "meta/llama-3-8b-instruct",
    "meta/meta-llama-3-70b": "meta/llama-3-70b",
    "meta/meta-llama-3-70b-instruct": "meta/llama-3-70b-instruct",
}

_encoder = msgspec.json.Encoder()


class ReplicateProvider(Provider):
    name = PROVIDER
    default_api_base = "https://api.replicate.com/v1"
    api_key_env = ("REPLICATE_API_KEY", "REPLICATE_API_TOKEN")
    api_base_env = ("REPLICATE_API_BASE",)
    supported_params = REPLICATE_CHAT_PARAMS

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
        }

    # ---- requests
    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        ref = parse_model(deployment.model)
        options = deployment.options or {}
        body: dict[str, Any] = {}
        if ref.version is not None:
            body["version"] = ref.version
        body["input"] = build_input(request, ref.model or deployment.model, options)
        headers = self._headers(deployment)
        if request.stream:
            # no wait: the prediction's stream URL is needed at once (see follow_up)
            body["stream"] = True
        else:
            wait = options.get("wait_seconds")
            headers["prefer"] = f"wait={int(wait)}" if isinstance(wait, int | float) and wait > 0 else "wait"
        url = join_url(self.api_base(deployment), ref.create_path())
        # never a stream request itself: the stream is opened from the prediction's urls.stream
        return HttpRequest(url=url, headers=headers, body=_encoder.encode(body))

    def follow_up(self, response: HttpResponse, sent: HttpRequest, deployment: Deployment) -> FollowUp | None:
        prediction = decode_prediction(response.body)
        streaming_create = sent.method == "POST" and "prefer" not in sent.headers
        if streaming_create:
            stream_url = prediction.urls.stream if prediction.urls is not None else None
            if not stream_url:
                raise BadRequestError(
                    f"Replicate model {deployment.model!r} does not stream its output (its prediction "
                    "has no stream URL): call it without stream=True",
                    provider=PROVIDER,
                    model=deployment.model,
                    param="stream",
                )
            return FollowUp(request=self._stream_request(stream_url, deployment))
        if not is_running(prediction):
            return None
        prediction_id = path_part(prediction.id, provider=PROVIDER, param="prediction id")
        url = join_url(self.api_base(deployment), f"predictions/{prediction_id}")
        headers = {k: v for k, v in self._headers(deployment).items() if k != "content-type"}
        return FollowUp(request=HttpRequest(url=url, headers=headers, method="GET"), delay=_poll(deployment))

    def _stream_request(self, url: str, deployment: Deployment) -> HttpRequest:
        """The stream the prediction names. Its URL comes from the upstream's answer: the key (and
        the deployment's extra headers, which may carry credentials too) go only to the API's own
        origin or to Replicate's domains over https."""
        headers = {"accept": "text/event-stream", "cache-control": "no-store"}
        if self._trusted(url, deployment):
            headers["authorization"] = f"Bearer {self.api_key(deployment)}"
            if deployment.extra_headers:
                headers.update(deployment.extra_headers)
        return HttpRequest(url=url, headers=headers, method="GET", stream=True)

    def _trusted(self, url: str, deployment: Deployment) -> bool:
        target, own = urlsplit(url), urlsplit(self.api_base(deployment))
        host = (target.hostname or "").lower()
        if (target.scheme, host, target.port) == (own.scheme, (own.hostname or "").lower(), own.port):
            return True
        replicate = any(host == d or host.endswith("." + d) for d in _REPLICATE_DOMAINS)
        return target.scheme == "https" and replicate

    def _headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json", "authorization": f"Bearer {self.api_key(deployment)}"}
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        prediction = decode_prediction(response.body)
        if is_running(prediction):
            raise InternalServerError(
                f"Replicate prediction {prediction.id} is still {prediction.status}", provider=PROVIDER
            )
        model = prediction.model or request.model
        prompt = prompt_text(build_input(request, model, {}))
        result, estimated = to_chat_response(prediction, model, prompt, request.max_output_tokens())
        params = hidden_params(result)
        params["usage_estimated"] = estimated
        params["replicate_prediction_id"] = prediction.id
        return result

    def chat_stream_decoder(self, request: ChatRequest) -> ReplicateStreamDecoder:
        model = request.model.removeprefix(PROVIDER + "/")
        prompt = prompt_text(build_input(request, model, {}))
        return ReplicateStreamDecoder(
            model, prompt, request.max_output_tokens(), prediction_id=f"chatcmpl-{uuid.uuid4().hex}"
        )

    # ---- errors and pricing
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        return classify(status, headers, body)

    def error_message(self, body: bytes) -> str | None:
        return error_message(body)

    def catalog_model(self, deployment: Deployment) -> str:
        """Prices are listed by `owner/name`; a pinned version is priced as its model."""
        model = deployment.model.partition(":")[0]
        return _CATALOG_NAMES.get(model, model)


def _poll(deployment: Deployment) -> float:
    value = (deployment.options or {}).get("poll_interval")
    return float(value) if isinstance(value, int | float) and value >= 0 else DEFAULT_POLL_INTERVAL
