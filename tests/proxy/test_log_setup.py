"""A gateway worker's own log lines: text by default, JSON lines with `json_logs`, DEBUG with
`set_verbose` or --debug; one handler however often it is configured."""

from __future__ import annotations

import gc
import io
import json
import logging
from collections.abc import Iterator

import msgspec
import pytest

from llmrelay.proxy.log_setup import LOGGER, JsonLineFormatter, configure_logging, wants_json
from llmrelay.proxy.server import SERVE_ENV, ServeOptions, app_from_env


@pytest.fixture(autouse=True)
def restore_logger() -> Iterator[None]:
    logger = logging.getLogger(LOGGER)
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


def test_json_lines_carry_level_logger_message_and_traceback() -> None:
    out = io.StringIO()
    configure_logging(json_logs=True, debug=False, stream=out)
    log = logging.getLogger("llmrelay.spend")
    log.debug("not at INFO")
    try:
        raise ValueError("disk full")
    except ValueError:
        log.exception("spend batch failed: %d rows", 3)
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "llmrelay.spend"
    assert record["message"] == "spend batch failed: 3 rows"
    assert "ValueError: disk full" in record["exception"]
    assert record["ts"].endswith("Z") and "T" in record["ts"]


def test_text_lines_by_default_and_debug_when_asked() -> None:
    out = io.StringIO()
    configure_logging(json_logs=False, debug=True, stream=out)
    logging.getLogger("llmrelay.router").debug("picked %s", "dep-1")
    line = out.getvalue().strip()
    assert line.endswith("DEBUG llmrelay.router: picked dep-1")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_configuring_twice_keeps_one_handler() -> None:
    out = io.StringIO()
    configure_logging(json_logs=False, debug=False, stream=out)
    configure_logging(json_logs=False, debug=False, stream=out)
    logging.getLogger("llmrelay").warning("once")
    assert out.getvalue().count("once") == 1


def test_json_logs_from_the_environment_as_litellm_reads_it() -> None:
    assert wants_json(None, {"JSON_LOGS": "True"}) and not wants_json(None, {})
    assert not wants_json(False, {"JSON_LOGS": "true"})  # the config file wins


def test_the_worker_factory_applies_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    document = {
        "model_list": [
            {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "k"}}
        ],
        "litellm_settings": {"json_logs": True, "set_verbose": True},
    }
    monkeypatch.setenv(SERVE_ENV, msgspec.json.encode(ServeOptions(document=document)).decode())
    thresholds = gc.get_threshold()
    try:
        app_from_env()
    finally:  # the factory also settles the worker's heap: undo that for the rest of the tests
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    logger = logging.getLogger(LOGGER)
    assert logger.level == logging.DEBUG
    assert any(isinstance(h.formatter, JsonLineFormatter) for h in logger.handlers)
