"""OpenAI's Realtime API, as far as a gateway needs it (sans-IO, like every adapter): where a
deployment's realtime WebSocket is and which headers open it, and the usage a `response.done` event
reports. The events themselves pass through untouched (proxy/realtime/).

- OpenAI: `wss://api.openai.com/v1/realtime?model=<model>`, `Authorization: Bearer <key>`; a client
  of the beta protocol also sends `OpenAI-Beta: realtime=v1`, which is passed on.
- Azure OpenAI: `wss://<resource>/openai/realtime?api-version=<version>&deployment=<name>`, with
  `api-key` (or a Microsoft Entra ID token as `Authorization: Bearer`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

import msgspec

from llmrelay.cost.realtime import RealtimeTokens
from llmrelay.providers.azure.adapter import AzureOpenAI
from llmrelay.providers.base import Provider
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import CompletionTokensDetails, PromptTokensDetails, Usage

# the providers whose realtime endpoint this module knows
REALTIME_PROVIDERS = frozenset({"openai", "azure"})
BETA_HEADER = "openai-beta"
BETA_VALUE = "realtime=v1"
# Azure's realtime endpoint's version when the deployment names none
AZURE_REALTIME_API_VERSION = "2025-04-01-preview"
# what marks the one event the gateway reads; every other event is relayed without a decode
DONE_MARK = '"response.done"'

Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]


@dataclass(frozen=True, slots=True)
class RealtimeTarget:
    """The upstream WebSocket of one deployment: its ws:// or wss:// URL and the opening headers
    (the gateway's credential among them, unless the deployment's credential is a token grant the
    caller must add first: `adapter.token_grant(deployment)`)."""

    url: str
    headers: dict[str, str]


def realtime_target(adapter: Provider, deployment: Deployment, *, beta: bool) -> RealtimeTarget:
    """BadRequestError for a provider without a realtime endpoint; AuthenticationError (from the
    adapter) when the deployment has no credential."""
    provider = deployment.provider
    if provider not in REALTIME_PROVIDERS or not isinstance(adapter, OpenAICompatible):
        raise BadRequestError(
            f"provider {provider!r} has no Realtime API endpoint in llmrelay (openai and azure do)",
            param="model",
            code="realtime_not_supported",
        )
    base = _websocket_base(adapter.api_base(deployment))
    if isinstance(adapter, AzureOpenAI):
        # the deployment's own api_version, else one that serves realtime (AZURE_API_VERSION, the
        # chat calls' default, may name a version from before Azure's realtime endpoint)
        version = deployment.api_version or AZURE_REALTIME_API_VERSION
        query = urlencode({"api-version": version, "deployment": deployment.model})
        url = f"{base}/openai/realtime?{query}"
    else:
        url = f"{base}/realtime?model={quote(deployment.model, safe='')}"
    # the adapter's own headers: the credential, an organization, the deployment's extra headers
    headers = {k: v for k, v in adapter.headers(deployment).items() if k.lower() != "content-type"}
    if beta:
        headers[BETA_HEADER] = BETA_VALUE
    return RealtimeTarget(url, headers)


def _websocket_base(http_base: str) -> str:
    base = http_base.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :]
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :]
    return base


class _CachedDetails(msgspec.Struct):
    text_tokens: Count | None = None
    audio_tokens: Count | None = None
    image_tokens: Count | None = None


class _InputDetails(msgspec.Struct):
    cached_tokens: Count | None = None
    text_tokens: Count | None = None
    audio_tokens: Count | None = None
    image_tokens: Count | None = None
    cached_tokens_details: _CachedDetails | None = None


class _OutputDetails(msgspec.Struct):
    text_tokens: Count | None = None
    audio_tokens: Count | None = None


class _Usage(msgspec.Struct):
    input_tokens: Count | None = None
    output_tokens: Count | None = None
    input_token_details: _InputDetails | None = None
    output_token_details: _OutputDetails | None = None


class _Response(msgspec.Struct):
    usage: _Usage | None = None
    status: str | None = None


class _Event(msgspec.Struct):
    type: str = ""
    response: _Response | None = None


_event_decoder = msgspec.json.Decoder(_Event)


class UnreadableUsage(ValueError):
    """A `response.done` event whose usage does not decode (the provider changed its shape)."""


def response_done_tokens(frame: str | bytes) -> RealtimeTokens | None:
    """The tokens a `response.done` event reports; None for any other event (or one without usage).
    Raises UnreadableUsage for a response.done that does not decode."""
    try:
        event = _event_decoder.decode(frame)
    except msgspec.DecodeError as exc:
        if not _is_done(frame):
            return None  # not JSON the gateway needs: relayed as it came
        raise UnreadableUsage(str(exc)) from None
    if event.type != "response.done" or event.response is None or event.response.usage is None:
        return None
    return _tokens(event.response.usage)


def _is_done(frame: str | bytes) -> bool:
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    return '"type":"response.done"' in text.replace(" ", "")


def _tokens(usage: _Usage) -> RealtimeTokens:
    """Kinds from the details; whatever the details leave of a side's total counts as text."""
    details = usage.input_token_details or _InputDetails()
    out = usage.output_token_details or _OutputDetails()
    audio_in = details.audio_tokens or 0
    image_in = details.image_tokens or 0
    input_total = usage.input_tokens or 0
    text_in = details.text_tokens if details.text_tokens is not None else input_total - audio_in - image_in
    text_in = max(text_in, input_total - audio_in - image_in, 0)
    cached = details.cached_tokens_details
    if cached is not None:
        cached_text, cached_audio = cached.text_tokens or 0, cached.audio_tokens or 0
        cached_image = cached.image_tokens or 0
    else:  # only a total: counted as text, the cheapest reading never being a guess upward
        cached_text, cached_audio, cached_image = details.cached_tokens or 0, 0, 0
    audio_out = out.audio_tokens or 0
    output_total = usage.output_tokens or 0
    text_out = out.text_tokens if out.text_tokens is not None else output_total - audio_out
    text_out = max(text_out, output_total - audio_out, 0)
    return RealtimeTokens(
        input_text=text_in, input_audio=audio_in, input_image=image_in,
        cached_text=cached_text, cached_audio=cached_audio, cached_image=cached_image,
        output_text=text_out, output_audio=audio_out,
    )  # fmt: skip


def usage_of(tokens: RealtimeTokens) -> Usage:
    """The canonical Usage of a response (its spend row's token columns, the limits' tpm)."""
    prompt, completion = tokens.input_tokens, tokens.output_tokens
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details=PromptTokensDetails(
            cached_tokens=tokens.cached_tokens, audio_tokens=tokens.input_audio
        ),
        completion_tokens_details=CompletionTokensDetails(audio_tokens=tokens.output_audio),
    )
