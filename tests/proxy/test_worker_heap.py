"""A worker freezes its start-up heap once its app is built (so collections skip it), and lets
generation 0 grow larger before collecting it."""

from __future__ import annotations

import gc

import msgspec
import pytest

from llmrelay.proxy.server import SERVE_ENV, YOUNG_OBJECTS_PER_COLLECTION, ServeOptions, app_from_env


def test_worker_factory_freezes_the_heap_it_built(monkeypatch: pytest.MonkeyPatch) -> None:
    document = {
        "model_list": [
            {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "k"}}
        ],
        "general_settings": {"master_key": "sk-test"},
    }
    monkeypatch.setenv(SERVE_ENV, msgspec.json.encode(ServeOptions(document=document)).decode())
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        app = app_from_env()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_OBJECTS_PER_COLLECTION
        # the app itself is among the frozen objects: a collection no longer tracks it as young
        assert app.state.router is not None
        assert not any(obj is app for obj in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
