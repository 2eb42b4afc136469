"""Schemathesis against the gateway's own OpenAPI document (/openapi.json): every operation — the
OpenAI and Anthropic routes on simulators, the admin API on SQLite — gets valid and invalid requests,
and no answer may be a 5xx; status codes, content types and bodies must be the documented ones.

Bounded so `make test` stays fast: EXAMPLES cases per operation and mode, and a TIME_CAP for the whole
run (an operation not reached by then is named in a warning). Deterministic: the same cases every
run unless LLMRELAY_FUZZ_SEED picks other ones. To fuzz longer locally:

    LLMRELAY_FUZZ_EXAMPLES=200 LLMRELAY_FUZZ_SECONDS=1800 LLMRELAY_FUZZ_SEED=7 \\
        .venv/bin/pytest tests/security/test_openapi_fuzz.py
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from openapi_gateway import MASTER_KEY, gateway_document
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from llmrelay.config.loader import parse_config
from llmrelay.testing import SimulatorGroup
from llmrelay.testing.gateway import GatewayThread

EXAMPLES = int(os.environ.get("LLMRELAY_FUZZ_EXAMPLES", "5"))
TIME_CAP = float(os.environ.get("LLMRELAY_FUZZ_SECONDS", "50"))
SEED = os.environ.get("LLMRELAY_FUZZ_SEED")
# a regular expression: fuzz only the paths it matches (to reproduce one finding)
PATHS = os.environ.get("LLMRELAY_FUZZ_PATHS")
AUTH = {"authorization": f"Bearer {MASTER_KEY}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# valid model names per route (the generated ones are unknown: a 404 before the interesting code)
CHAT_MODELS = ("gpt-4o-mini", "claude")
MODELS = {
    "/v1/chat/completions": CHAT_MODELS,
    "/v1/responses": CHAT_MODELS,
    "/v1/messages": CHAT_MODELS,
    "/v1/messages/count_tokens": CHAT_MODELS,
    "/v1/completions": ("gpt-4o-mini",),
    "/v1/embeddings": ("embed",),
    "/v1/rerank": ("rerank",),
    "/v1/moderations": ("moderation",),
    "/v1/images/generations": ("dall-e-3",),
    "/v1/images/variations": ("dall-e-2",),
    "/v1/images/edits": ("dall-e-2",),
    "/v1/audio/transcriptions": ("whisper",),
    "/v1/audio/translations": ("whisper",),
}


class ServerErrors(logging.Handler):
    """The exception behind each of the gateway's 500s, by request id: the app logs every unhandled
    error with its request id before it answers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_request: dict[str, BaseException] = {}

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.exc_info and record.exc_info[1] is not None and len(args) == 3:
            self.by_request[str(args[2])] = record.exc_info[1]


@dataclass
class Fuzzing:
    gateway: GatewayThread
    errors: ServerErrors
    session: requests.Session = field(default_factory=requests.Session)
    failures: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fuzzing(simulators: SimulatorGroup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzing]:
    config = parse_config(gateway_document(simulators, tmp_path_factory.mktemp("fuzz")), source="<test>")
    errors = ServerErrors()
    logger = logging.getLogger("llmrelay.proxy")
    logger.addHandler(errors)
    gateway = GatewayThread(config, name="openapi-fuzz").start()
    try:
        _make_existing(gateway.base_url)
        yield Fuzzing(gateway, errors)
    finally:
        gateway.stop()
        logger.removeHandler(errors)


def _header(response: Any, name: str) -> str | None:
    value = response.headers.get(name)
    return value[0] if isinstance(value, list) else value


# records made before fuzzing: generated requests name them most of the time, since a random id only
# reaches the 404 path (not /key/regenerate: a new secret would leave the later routes a stale key)
EXISTING_KEY = "sk-fuzz-existing-0123456789"
EXISTING = {
    "key": EXISTING_KEY,
    "user_id": "fuzz-user",
    "team_id": "fuzz-team",
    "end_user_id": "fuzz-end-user",
}
END_USER_PATHS = ("/end_user/", "/customer/")


def _make_existing(base_url: str) -> None:
    for path, body in (
        ("/key/generate", {"key": EXISTING_KEY, "user_id": EXISTING["user_id"]}),
        ("/team/new", {"team_id": EXISTING["team_id"]}),
        ("/end_user/new", {"user_id": EXISTING["end_user_id"]}),
    ):
        reply = requests.post(base_url + path, json=body, headers=AUTH, timeout=10)
        assert reply.status_code == 200, reply.text


def _aimed(case: Any, path: str, pick: int) -> Any:
    """`case` naming a configured model and the existing records where it has such fields."""
    models = MODELS.get(path) or (CHAT_MODELS if path.endswith("{model}") else ())
    if models and isinstance(case.body, dict) and "model" in case.body:
        case.body["model"] = models[pick % len(models)]
    if models and case.path_parameters and "model" in case.path_parameters:
        case.path_parameters["model"] = models[pick % len(models)]
    if path == "/key/regenerate":
        return case
    values = dict(EXISTING)
    if path.startswith(END_USER_PATHS):
        values["user_id"] = EXISTING["end_user_id"]
    for fields in (case.body, case.query):
        if isinstance(fields, dict):
            fields.update({name: values[name] for name in fields.keys() & values.keys()})
    return case


def _strategy(operation: Any, mode: GenerationMode) -> Any:
    cases = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return cases
    # two cases in three aimed at what exists, the third as generated
    return st.tuples(cases, st.sampled_from([0, 1, 2])).map(
        lambda pair: pair[0] if pair[1] == 2 else _aimed(pair[0], operation.path, pair[1])
    )


def _fuzz(run: Fuzzing, operation: Any, mode: GenerationMode) -> None:
    base_url = run.gateway.base_url
    label = f"{operation.label} ({mode.value})"

    @settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, mode))
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, session=run.session, headers=AUTH, timeout=30)
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            behind = run.errors.by_request.get(_header(response, "x-request-id") or "")
            raise AssertionError(f"{response.status_code} on {operation.label}: {behind!r}")
        case.validate_response(response, checks=CHECKS, headers=AUTH)

    test = check if SEED is None else seed(int(SEED))(check)
    try:
        test()
    except (AssertionError, BaseExceptionGroup) as failure:
        run.failures[label] = str(failure)[:2000]


def _takes_input(operation: Any) -> bool:
    return bool(operation.body) or any(True for _ in operation.iter_parameters())


def test_no_operation_answers_a_server_error_or_off_the_document(fuzzing: Fuzzing) -> None:
    document = fuzzing.gateway.app.openapi.document()
    # the un-prefixed aliases are the same handlers as their /v1 routes: fuzzed once, under /v1
    paths = document["paths"]
    aliases = [path for path in paths if not path.startswith("/v1/") and "/v1" + path in paths]
    schema = schemathesis.openapi.from_dict(document).exclude(path=aliases)
    if PATHS:
        schema = schema.include(path_regex=PATHS)
    started = time.monotonic()
    skipped: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # valid requests to every operation first, then invalid ones: a run cut short by the time cap
    # still sent every operation something
    runs = [(op, GenerationMode.POSITIVE) for op in operations]
    runs += [(op, GenerationMode.NEGATIVE) for op in operations if _takes_input(op)]
    for operation, mode in runs:
        if time.monotonic() - started > TIME_CAP:
            skipped.append(f"{operation.label} ({mode.value})")
            continue
        _fuzz(fuzzing, operation, mode)
    if skipped:
        warnings.warn(f"fuzz time cap ({TIME_CAP}s) reached; not fuzzed: {', '.join(skipped)}", stacklevel=1)
    assert PATHS or len(operations) > 50
    assert not fuzzing.failures, "\n\n".join(f"{label}: {text}" for label, text in fuzzing.failures.items())
    # the fuzz reached past validation: some calls were answered 200
    assert fuzzing.statuses.get(200, 0) >= len(operations)
