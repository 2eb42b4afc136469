"""Every adapter's error mapping: its provider's error answer (in that provider's own shape) for
400/401/403/404/408/413/422/429/500/503 becomes the right LLMError class, keeps the status, the
provider's message and its error code, and never carries the api key, even when the upstream
echoes it (the engine scrubs each error with the deployment's Scrubber, core/scrub.py)."""

from __future__ import annotations

import json

import pytest
from conformance_calls import adapter_for
from conformance_case import ERROR_STATUSES, AdapterCase
from conformance_cases import CASE_IDS, CASES
from conformance_errors import error_response

from llmrelay.core.scrub import Scrubber
from llmrelay.providers.base import Provider
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError

MESSAGES = {
    400: "Invalid value for 'temperature': expected a number",
    401: "The credentials given are not valid",
    403: "This key may not use this model",
    404: "The model conformance-model was not found",
    408: "The request timed out",
    413: "The request body is too large",
    422: "The input does not match the model's schema",
    429: "Too many requests per minute",
    500: "The server had an error",
    503: "The service is overloaded",
}


@pytest.mark.parametrize("status", ERROR_STATUSES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_error_maps_to_class_and_keeps_the_message(case: AdapterCase, status: int) -> None:
    answer = error_response(case.error_shape, status, MESSAGES[status])
    error = adapter_for(case).classify_error(status, answer.headers, answer.body)
    assert type(error).__name__ == case.error_class(status)
    assert error.status_code == status
    assert error.provider == case.provider
    assert error.code == answer.code
    assert MESSAGES[status] in error.message


@pytest.mark.parametrize("status", ERROR_STATUSES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_error_echoing_the_key_is_scrubbed(case: AdapterCase, status: int) -> None:
    echoed = f"{MESSAGES[status]} (key: {case.secret})"
    answer = error_response(case.error_shape, status, echoed)
    adapter = adapter_for(case)
    error = _scrubber(adapter, case.deployment).error(
        adapter.classify_error(status, answer.headers, answer.body)
    )
    assert type(error).__name__ == case.error_class(status)
    assert MESSAGES[status] in error.message
    for text in (error.message, str(error), repr(error.body), json.dumps(error.to_openai_body())):
        assert case.secret not in text


def _scrubber(adapter: Provider, deployment: Deployment) -> Scrubber:
    """As the engine builds it: the deployment's values and what its adapter resolves."""
    return Scrubber.for_deployment(
        deployment,
        api_key=_resolved(adapter.api_key, deployment),
        api_base=_resolved(adapter.api_base, deployment),
    )


def _resolved(resolve: object, deployment: Deployment) -> str | None:
    assert callable(resolve)
    try:
        value = resolve(deployment)
    except LLMError:
        return None
    assert isinstance(value, str)
    return value
