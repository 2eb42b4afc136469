"""What the `huggingface_local` adapter sends to the in-process model server (server.py), one typed
body per endpoint; the answers are OpenAI's wire format (answers.py). Both sides use these structs:
the adapter encodes them, the server decodes them with their bounds checked (a value out of range is
a 400 naming the field). Standard library and msgspec only: the pure adapter imports this module."""

from __future__ import annotations

from typing import Annotated

import msgspec

# the in-process "host" of local Hugging Face models; the transport routes by it (transport/in_process.py)
LOCAL_HF_BASE = "in-process://huggingface-local"
CHAT_PATH = "/chat/completions"
COMPLETIONS_PATH = "/completions"
EMBEDDINGS_PATH = "/embeddings"

MAX_STOP_SEQUENCES = 4  # as OpenAI
MAX_STOP_CHARS = 200
MAX_GENERATED_TOKENS = 32_768
MAX_CONCURRENCY = 64
MAX_QUEUE = 1024

Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
TopP = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
MaxTokens = Annotated[int, msgspec.Meta(ge=1, le=MAX_GENERATED_TOKENS)]
Seed = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
StopText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STOP_CHARS)]
Stops = Annotated[list[StopText], msgspec.Meta(max_length=MAX_STOP_SEQUENCES)]
Concurrency = Annotated[int, msgspec.Meta(ge=1, le=MAX_CONCURRENCY)]
QueueSize = Annotated[int, msgspec.Meta(ge=0, le=MAX_QUEUE)]


class ModelPlace(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which model serves the call and how many calls it takes at once: `path` is a folder, or a
    model id already in the local Hugging Face cache (never downloaded); `concurrency` calls run at
    once, `queue` more wait, and the next is refused with a 503."""

    path: str
    concurrency: Concurrency = 1
    queue: QueueSize = 8


class Sampling(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """OpenAI's sampling parameters the local generation honours (None: OpenAI's defaults)."""

    max_tokens: MaxTokens | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    stop: Stops = []
    seed: Seed | None = None


class LocalMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: str
    content: str


class ChatBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    model: str  # the name the caller used, echoed in the answer
    place: ModelPlace
    messages: list[LocalMessage]
    sampling: Sampling
    stream: bool = False
    include_usage: bool = False


class CompletionBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    model: str
    place: ModelPlace
    prompt: str
    sampling: Sampling
    stream: bool = False
    include_usage: bool = False


class EmbeddingBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    model: str
    place: ModelPlace
    input: list[str]
    base64: bool = False
