"""How many items one call may send in its list inputs: embeddings' and moderations' `input`,
text completions' `prompt`, rerank's `documents`. Each item makes upstream work and answer bytes
(an embedding is kilobytes of JSON), so an unbounded list is an unbounded answer; refused before
anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import RequestTooLargeError
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

# OpenAI's own cap on embedding inputs per request
DEFAULT_MAX_EMBEDDING_INPUTS = 2048
# Cohere's recommended cap on rerank documents per request
DEFAULT_MAX_RERANK_DOCUMENTS = 1000


@dataclass(frozen=True, slots=True)
class InputLimits:
    """litellm_settings.max_embedding_inputs (also moderations' inputs and text completions'
    prompts) and max_rerank_documents."""

    max_embedding_inputs: int = DEFAULT_MAX_EMBEDDING_INPUTS
    max_rerank_documents: int = DEFAULT_MAX_RERANK_DOCUMENTS

    def check_embedding(self, request: EmbeddingRequest) -> None:
        _check(embedding_input_count(request), self.max_embedding_inputs, "input", "max_embedding_inputs")

    def check_moderation(self, request: ModerationRequest) -> None:
        count = 1 if isinstance(request.input, str) else len(request.input)
        _check(count, self.max_embedding_inputs, "input", "max_embedding_inputs")

    def check_text_completion(self, request: TextCompletionRequest) -> None:
        _check(prompt_count(request), self.max_embedding_inputs, "prompt", "max_embedding_inputs")

    def check_rerank(self, request: RerankRequest) -> None:
        _check(len(request.documents), self.max_rerank_documents, "documents", "max_rerank_documents")


def embedding_input_count(request: EmbeddingRequest) -> int:
    """A string is one input; a list holds one per string or token list, and a flat list of token
    ids is one input too."""
    if isinstance(request.input, str):
        return 1
    token_ids = any(isinstance(item, int) for item in request.input)
    return sum(1 for item in request.input if not isinstance(item, int)) + (1 if token_ids else 0)


def prompt_count(request: TextCompletionRequest) -> int:
    """A string, or a flat list of token ids, is one prompt; a list holds one per string or token
    list (each is answered with its own choices)."""
    prompt = request.prompt
    if isinstance(prompt, str) or not prompt or isinstance(prompt[0], int):
        return 1
    return len(prompt)


def _check(count: int, limit: int, param: str, setting: str) -> None:
    if count > limit:
        raise RequestTooLargeError(
            f"too many items in `{param}`: {count}, at most {limit} per request "
            f"(litellm_settings.{setting}); split the call",
            param=param,
        )
