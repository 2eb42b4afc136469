"""The in-process server of local Hugging Face models: the transport hands it the requests the
`huggingface_local` adapter prepared (wire.py's bodies at in-process:// URLs), and it answers as an
OpenAI-compatible server would — chat completions, completions (both streamed or not) and
embeddings — with every error an OpenAI-style error answer. Model work runs on each model's worker
threads (admission.py); this side only awaits it, so the event loop keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

import msgspec

from llmrelay.local import answers
from llmrelay.local.answers import AnswerId
from llmrelay.local.embedding import EmbeddingModel
from llmrelay.local.errors import LocalModelError, failure_message
from llmrelay.local.generation import (
    DEFAULT_COMPLETION_TOKENS,
    DEFAULT_MAX_TOKENS,
    CausalModel,
    Generated,
)
from llmrelay.local.store import Loaded, ModelStore
from llmrelay.local.stream import FixedStream, Handoff, LocalStream
from llmrelay.local.wire import (
    CHAT_PATH,
    COMPLETIONS_PATH,
    EMBEDDINGS_PATH,
    LOCAL_HF_BASE,
    ChatBody,
    CompletionBody,
    EmbeddingBody,
)
from llmrelay.types.http import HttpRequest, HttpResponse

T = TypeVar("T")
Generation = ChatBody | CompletionBody

_BODIES: dict[str, type[ChatBody | CompletionBody | EmbeddingBody]] = {
    CHAT_PATH: ChatBody,
    COMPLETIONS_PATH: CompletionBody,
    EMBEDDINGS_PATH: EmbeddingBody,
}


class LocalModelServer:
    def __init__(self) -> None:
        self.generators: ModelStore[CausalModel] = ModelStore("generation", CausalModel.load)
        self.embedders: ModelStore[EmbeddingModel] = ModelStore("embedding", EmbeddingModel.load)

    def close(self) -> None:
        self.generators.close()
        self.embedders.close()

    # ---- the transport's two entries
    async def send(self, request: HttpRequest) -> HttpResponse:
        try:
            body = _decode(request)
            if isinstance(body, EmbeddingBody):
                return await self._embed(body)
            if body.stream:
                raise LocalModelError(400, "a streamed call must be opened as a stream", param="stream")
            return await self._complete(body)
        except LocalModelError as exc:
            return answers.error_response(exc.status, exc.message, param=exc.param, code=exc.code)
        except Exception as exc:  # noqa: BLE001 - the model's own failure, answered as a 500
            return answers.error_response(500, failure_message(exc))

    async def open_stream(
        self, request: HttpRequest, read_timeout: float | None
    ) -> LocalStream | FixedStream:
        """The stream once its generation has begun: a refusal up to there (a missing model, a full
        queue, a prompt too long) comes back as an error status, as an upstream's would."""
        try:
            body = _decode(request)
            if isinstance(body, EmbeddingBody) or not body.stream:
                raise LocalModelError(400, "only generations stream", param="stream")
            return await self._stream(body, read_timeout)
        except LocalModelError as exc:
            refused = answers.error_response(exc.status, exc.message, param=exc.param, code=exc.code)
            return FixedStream(refused.status, refused.body)
        except Exception as exc:  # noqa: BLE001 - the model's own failure (a load), answered as a 500
            failed = answers.error_response(500, failure_message(exc))
            return FixedStream(failed.status, failed.body)

    # ---- generations
    async def _complete(self, body: Generation) -> HttpResponse:
        loaded = await self.generators.get(body.place)
        cancelled = threading.Event()
        job = loaded.admission.submit(lambda: _generate(loaded.model, body, None, cancelled), cancelled)
        done = await _awaited(asyncio.wrap_future(job), cancelled)
        used = answers.usage(done.prompt_tokens, done.completion_tokens)
        if isinstance(body, ChatBody):
            answer = answers.chat_answer(
                AnswerId("chatcmpl", body.model), done.text, done.finish_reason, used
            )
        else:
            answer = answers.completion_answer(
                AnswerId("cmpl", body.model), done.text, done.finish_reason, used
            )
        return HttpResponse(status=200, body=answer, headers=answers.JSON_HEADERS)

    async def _stream(self, body: Generation, read_timeout: float | None) -> LocalStream:
        loaded = await self.generators.get(body.place)
        cancelled = threading.Event()
        handoff = Handoff(asyncio.get_running_loop(), cancelled)
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def run() -> Generated:
            return _generate(loaded.model, body, handoff.emit, cancelled, lambda: _resolve(handoff, started))

        job = loaded.admission.submit(run, cancelled)
        handoff.watch(job)
        job.add_done_callback(lambda _: _resolve(handoff, started))
        await _awaited(started, cancelled)
        if job.done() and job.exception() is not None:
            error = job.exception()
            if isinstance(error, LocalModelError):
                raise error
        chat = isinstance(body, ChatBody)
        ident = AnswerId("chatcmpl" if chat else "cmpl", body.model)
        return LocalStream(
            handoff, ident, chat=chat, include_usage=body.include_usage, read_timeout=read_timeout
        )

    # ---- embeddings
    async def _embed(self, body: EmbeddingBody) -> HttpResponse:
        loaded: Loaded[EmbeddingModel] = await self.embedders.get(body.place)
        cancelled = threading.Event()
        job = loaded.admission.submit(lambda: loaded.model.embed(body.input, body.base64), cancelled)
        vectors, tokens = await _awaited(asyncio.wrap_future(job), cancelled)
        answer = answers.embedding_answer(body.model, vectors, tokens)
        return HttpResponse(status=200, body=answer, headers=answers.JSON_HEADERS)


def _generate(
    model: CausalModel,
    body: Generation,
    emit: Callable[[str], None] | None,
    cancelled: threading.Event,
    on_start: Callable[[], None] | None = None,
) -> Generated:
    """In a worker thread: the prompt's tokens (a prompt too long is refused here, before the first
    token), then the generation."""
    if isinstance(body, ChatBody):
        prompt, default_max = model.chat_prompt(list(body.messages)), DEFAULT_MAX_TOKENS
    else:
        prompt, default_max = model.text_prompt(body.prompt), DEFAULT_COMPLETION_TOKENS
    model.check_budget(len(prompt), body.sampling.max_tokens)
    if on_start is not None:
        on_start()
    return model.generate(prompt, body.sampling, default_max, emit, cancelled)


def _resolve(handoff: Handoff, started: asyncio.Future[None]) -> None:
    """Tell the caller's loop the generation began (or ended before it could)."""

    def mark() -> None:
        if not started.done():
            started.set_result(None)

    handoff_loop = started.get_loop()
    try:
        handoff_loop.call_soon_threadsafe(mark)
    except RuntimeError:  # the caller's loop is closed: nobody waits for this stream
        handoff.cancelled.set()


async def _awaited(waited: asyncio.Future[T], cancelled: threading.Event) -> T:
    """`waited`, with the worker told to stop when the caller gives up (a timeout, a disconnect):
    shielded, so the job is never cancelled half-admitted; it sees `cancelled` and ends."""
    try:
        return await asyncio.shield(waited)
    except asyncio.CancelledError:
        cancelled.set()
        # nobody awaits the job any more: its end (GenerationCancelled, most likely) is read here
        waited.add_done_callback(_retrieve)
        raise


def _retrieve(done: asyncio.Future[T]) -> None:
    if not done.cancelled():
        done.exception()


def _decode(request: HttpRequest) -> ChatBody | CompletionBody | EmbeddingBody:
    path = request.url.removeprefix(LOCAL_HF_BASE)
    body_type = _BODIES.get(path)
    if body_type is None or not request.url.startswith(LOCAL_HF_BASE):
        raise LocalModelError(404, f"the local model server has no endpoint {path!r}")
    try:
        return msgspec.json.decode(request.body or b"", type=body_type)
    except msgspec.ValidationError as exc:
        raise LocalModelError(400, f"invalid request: {exc}", param=_field(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise LocalModelError(400, f"invalid request body: {exc}") from exc


def _field(message: str) -> str | None:
    """The field msgspec names in a validation error (`... - at `$.sampling.temperature``)."""
    _, _, where = message.rpartition("at `$.")
    return where.rstrip("`").split(".")[-1].split("[")[0] or None if where else None
