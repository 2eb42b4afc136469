"""The deployment parameters the `huggingface_local` adapter reads (litellm_params or SDK keywords,
never the request body). Light on purpose: the registry reads it without the adapter.

- `model_path`: the model's folder (or a model id already in the local Hugging Face cache), when
  the model string names something else;
- `local_concurrency`: calls the model runs at once (default 1);
- `local_queue`: calls that may wait for a turn (default 8); the next is refused with a 503."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

MODEL_PATH = "model_path"
CONCURRENCY = "local_concurrency"
QUEUE = "local_queue"

HUGGINGFACE_LOCAL_PARAMS = ProviderParams(settings=(MODEL_PATH, CONCURRENCY, QUEUE))
