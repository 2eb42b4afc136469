"""Text generation with a local causal language model, in a worker thread: the prompt (the
tokenizer's chat template, or role-prefixed lines when it has none), then a token loop that hands
each piece of text on as soon as it is decoded, honours temperature, top_p, seed, stop sequences
and max_tokens, and stops early when the caller goes away. torch and transformers are imported
here, when the first model is loaded."""

from __future__ import annotations

import inspect
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmrelay.local.errors import MISSING_EXTRA, GenerationCancelled, LocalModelError
from llmrelay.local.sources import load_failure, model_source
from llmrelay.local.stops import StopScanner
from llmrelay.local.wire import LocalMessage, Sampling

# a generation that names no max_tokens stops here (or at the model's context, if sooner)
DEFAULT_MAX_TOKENS = 1024
# a legacy completion's default, as OpenAI's /v1/completions
DEFAULT_COMPLETION_TOKENS = 16


@dataclass(frozen=True, slots=True)
class Generated:
    text: str
    finish_reason: str  # "stop" (end of sequence, a stop sequence) or "length"
    prompt_tokens: int
    completion_tokens: int


class CausalModel:
    """A loaded model and its tokenizer. Its methods run on the model's worker threads."""

    def __init__(self, model: Any, tokenizer: Any, context: int, eos_ids: frozenset[int]) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.context = context
        self.eos_ids = eos_ids
        # the key-value cache's keyword: `cache` in transformers 5.2x, `past_key_values` before
        takes = inspect.signature(model.forward).parameters
        self.cache_keyword = "cache" if "cache" in takes else "past_key_values"
        # only the last position's logits are read: models that can, compute only those
        self.step_options = {"logits_to_keep": 1} if "logits_to_keep" in takes else {}

    @classmethod
    def load(cls, path: str) -> CausalModel:
        try:
            import torch  # noqa: F401  (the extra's presence, before transformers' own message)
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise LocalModelError(501, MISSING_EXTRA) from exc
        source = model_source(path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise load_failure(path, exc) from exc
        model.eval()
        config = model.config
        context = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        eos_ids = frozenset(eos if isinstance(eos, list) else [] if eos is None else [eos])
        return cls(model, tokenizer, int(context or 2048), eos_ids)

    # ---- prompts
    def chat_prompt(self, messages: list[LocalMessage]) -> list[int]:
        """The conversation as the model was trained to read it: its chat template, or (without
        one) `role: content` lines ending with `assistant:`."""
        tokenizer = self.tokenizer
        turns = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(tokenizer, "chat_template", None):
            try:
                text = tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=False)
            except Exception as exc:  # a template's own refusal (jinja's raise_exception)
                raise LocalModelError(
                    400, f"the model's chat template refused the conversation: {exc}", param="messages"
                ) from exc
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])
        text = "".join(f"{m.role}: {m.content}\n" for m in messages) + "assistant:"
        return list(tokenizer(text)["input_ids"])

    def text_prompt(self, prompt: str) -> list[int]:
        return list(self.tokenizer(prompt)["input_ids"])

    # ---- the loop
    def generate(
        self,
        prompt_ids: list[int],
        sampling: Sampling,
        default_max: int,
        emit: Callable[[str], None] | None,
        cancelled: threading.Event,
    ) -> Generated:
        import torch

        room = self.check_budget(len(prompt_ids), sampling.max_tokens)
        max_new = sampling.max_tokens if sampling.max_tokens is not None else min(default_max, room)
        seed = sampling.seed if sampling.seed is not None else secrets.randbits(63)
        generator = torch.Generator().manual_seed(seed)
        temperature = 1.0 if sampling.temperature is None else sampling.temperature
        top_p = 1.0 if sampling.top_p is None else sampling.top_p
        scanner = StopScanner(tuple(sampling.stop))
        produced: list[int] = []
        finish = "length"
        with torch.inference_mode():
            step_input = torch.tensor([prompt_ids])
            cache: dict[str, Any] = {}
            for _ in range(max_new):
                if cancelled.is_set():
                    raise GenerationCancelled
                out = self.model(input_ids=step_input, use_cache=True, **cache, **self.step_options)
                cache = {self.cache_keyword: out[self.cache_keyword]}
                token = _pick(out.logits[0, -1], temperature, top_p, generator)
                produced.append(token)
                if token in self.eos_ids:
                    finish = "stop"
                    break
                text = self.tokenizer.decode(produced, skip_special_tokens=True)
                ready, stopped = scanner.scan(text)
                if ready and emit is not None:
                    emit(ready)
                if stopped:
                    finish = "stop"
                    break
                step_input = torch.tensor([[token]])
        # what was held back in case it began a stop sequence or a character (after a stop
        # sequence, nothing is: the answer ends where it began)
        rest = scanner.flush()
        if rest and emit is not None:
            emit(rest)
        return Generated(scanner.text, finish, len(prompt_ids), len(produced))

    def check_budget(self, prompt_tokens: int, asked: int | None) -> int:
        """The tokens left in the model's context after the prompt; a 400 when the prompt and the
        tokens asked for do not fit."""
        room = self.context - prompt_tokens
        if (asked is not None and asked > room) or room < 1:
            raise LocalModelError(
                400,
                f"the prompt has {prompt_tokens} tokens and {asked or 1} more were asked for; this "
                f"model's context holds {self.context}",
                param="messages",
                code="context_length_exceeded",
            )
        return room


def _pick(logits: Any, temperature: float, top_p: float, generator: Any) -> int:
    """The next token: the likeliest at temperature 0, else sampled from the tokens within top_p."""
    import torch

    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        ranked, order = torch.sort(probs, descending=True)
        # keep the most likely tokens until their mass reaches top_p (the first always)
        keep = torch.cumsum(ranked, dim=-1) - ranked < top_p
        ranked = ranked * keep
        choice = torch.multinomial(ranked / ranked.sum(), 1, generator=generator)
        return int(order[choice])
    return int(torch.multinomial(probs, 1, generator=generator))
