"""Sentence embeddings with a local sentence-transformers model, in a worker thread. An input longer
than the model reads is refused (sentence-transformers would cut it silently); usage counts the
token ids the model reads, special tokens included."""

from __future__ import annotations

import base64
from typing import Any

from llmrelay.local.errors import MISSING_EXTRA, LocalModelError
from llmrelay.local.sources import load_failure, model_source


class EmbeddingModel:
    def __init__(self, model: Any) -> None:
        self.model = model

    @classmethod
    def load(cls, path: str) -> EmbeddingModel:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise LocalModelError(501, MISSING_EXTRA) from exc
        source = model_source(path)
        try:
            model = SentenceTransformer(source, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError) as exc:
            raise load_failure(path, exc) from exc
        return cls(model)

    def embed(self, texts: list[str], as_base64: bool) -> tuple[list[list[float]] | list[str], int]:
        """The vectors (OpenAI's base64 of little-endian float32s when asked) and the token count."""
        if not texts:
            raise LocalModelError(400, "input must hold at least one text", param="input")
        limit = self.model.max_seq_length
        tokenizer = self.model.tokenizer
        tokens = 0
        for i, text in enumerate(texts):
            count = len(tokenizer(text, add_special_tokens=True)["input_ids"])
            if limit is not None and count > limit:
                raise LocalModelError(
                    400,
                    f"input[{i}] has {count} tokens; this model reads at most {limit}",
                    param="input",
                    code="context_length_exceeded",
                )
            tokens += count
        vectors = self.model.encode(texts, convert_to_numpy=True, show_progress_bar=False)
        if as_base64:
            encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
            return encoded, tokens
        return [[float(x) for x in v] for v in vectors], tokens
