"""Mistral's fill-in-the-middle completions (LiteLLM's text-completion-codestral/), sans-IO:
`POST {api_base}/fim/completions` with `{model, prompt, suffix, max_tokens, min_tokens, temperature,
top_p, stop, random_seed, stream}`; the answer and its stream are chat-shaped (`choices[].message` /
`choices[].delta`), read into OpenAI's text-completion shape (`choices[].text`).

Text completions only (Codestral's chat is the `codestral/` row). One prompt per call; the fields
FIM has no place for (n, logprobs, echo, penalties, best_of, logit_bias) are refused by name.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.base import Codec
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.openai.stream import OpenAIChatStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatChunk, ChatResponse

NAME = "text-completion-codestral"
# fields FIM has no place for → the value that asks for nothing (allowed, and not sent)
_UNTAKEN: dict[str, object] = {
    "n": 1, "best_of": 1, "echo": False, "logprobs": None,
    "presence_penalty": None, "frequency_penalty": None, "logit_bias": None,
}  # fmt: skip
_encoder = msgspec.json.Encoder()
_chat_decoder = msgspec.json.Decoder(ChatResponse)

FIM_SPEC = CompatSpec(
    name=NAME,
    api_base="https://codestral.mistral.ai/v1",
    api_key_env=("CODESTRAL_API_KEY",),
    api_base_env=("CODESTRAL_API_BASE",),
    embeddings=False,
    docs="https://docs.mistral.ai/api/#tag/fim",
)


class CodestralFimProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(FIM_SPEC)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"text_completion": Codec(self.prepare_text_completion, self.parse_text_completion)}

    def prepare_text_completion(self, request: TextCompletionRequest, deployment: Deployment) -> HttpRequest:
        for field, neutral in _UNTAKEN.items():
            value = getattr(request, field)
            if value is not None and value != neutral:
                raise UnsupportedParamsError(
                    f"Codestral's fill-in-the-middle endpoint has no {field}",
                    provider=self.name,
                    model=request.model,
                    param=field,
                )
        if not isinstance(request.prompt, str):
            raise BadRequestError(
                "Codestral's fill-in-the-middle endpoint takes one prompt, as a string",
                provider=self.name,
                model=request.model,
                param="prompt",
            )
        body: dict[str, Any] = {"model": deployment.model, "prompt": request.prompt}
        for name, value in (("suffix", request.suffix), ("max_tokens", request.max_tokens),
                            ("temperature", request.temperature), ("top_p", request.top_p),
                            ("stop", request.stop), ("random_seed", request.seed)):  # fmt: skip
            if value is not None:
                body[name] = value
        if request.stream:
            body["stream"] = True
        body.update(request.extra_body or {})  # Mistral's own fields (min_tokens...)
        return HttpRequest(
            url=self.url(deployment, "fim/completions"),
            headers=self.headers(deployment),
            body=_encoder.encode(body),
            stream=bool(request.stream),
        )

    def parse_text_completion(
        self, response: HttpResponse, request: TextCompletionRequest
    ) -> TextCompletionResponse:
        chat = self._decode(_chat_decoder, response.body)
        choices = [
            TextChoice(index=c.index, text=_text(c.message.content), finish_reason=c.finish_reason)
            for c in chat.choices
        ]
        return TextCompletionResponse(
            id=chat.id, created=chat.created, model=chat.model, choices=choices, usage=chat.usage
        )

    def chat_stream_decoder(self, request: ChatRequest) -> OpenAIChatStreamDecoder:
        raise self.unsupported("chat")  # fill-in-the-middle only: Codestral's chat is `codestral/`

    def text_stream_decoder(self, request: TextCompletionRequest) -> FimStreamDecoder:
        return FimStreamDecoder(self)


def _text(content: Any) -> str:
    return content if isinstance(content, str) else ""


class FimStreamDecoder:
    """The chat-shaped chunks of a FIM stream, as text-completion chunks."""

    def __init__(self, provider: OpenAICompatible) -> None:
        self._chat = OpenAIChatStreamDecoder(provider)

    def feed(self, data: bytes) -> list[TextCompletionResponse]:
        return [_text_chunk(chunk) for chunk in self._chat.feed(data)]

    def end(self) -> list[TextCompletionResponse]:
        return [_text_chunk(chunk) for chunk in self._chat.end()]


def _text_chunk(chunk: ChatChunk) -> TextCompletionResponse:
    choices = [
        TextChoice(index=c.index, text=_text(c.delta.content), finish_reason=c.finish_reason)
        for c in chunk.choices
    ]
    return TextCompletionResponse(
        id=chunk.id, created=chunk.created, model=chunk.model, choices=choices, usage=chunk.usage
    )
