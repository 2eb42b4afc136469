"""The error hierarchy: OpenAI's names, status codes, retryability, OpenAI error bodies."""

from __future__ import annotations

import pytest

from llmrelay import exceptions
from llmrelay.types import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, errors.BadRequestError), (401, errors.AuthenticationError), (403, errors.PermissionDeniedError),
     (404, errors.NotFoundError), (408, errors.Timeout), (409, errors.BadRequestError),
     (413, errors.RequestTooLargeError), (422, errors.UnprocessableEntityError), (429, errors.RateLimitError),
     (500, errors.InternalServerError), (502, errors.BadGatewayError), (503, errors.ServiceUnavailableError),
     (504, errors.Timeout), (529, errors.InternalServerError)],
)  # fmt: skip
def test_class_for_status(status: int, cls: type[errors.LLMError]) -> None:
    assert errors.error_class_for_status(status) is cls


def test_hierarchy_matches_openai_sdk_names() -> None:
    assert issubclass(errors.ContextWindowExceededError, errors.BadRequestError)
    assert issubclass(errors.ContentPolicyViolationError, errors.BadRequestError)
    assert issubclass(errors.APIConnectionError, errors.InternalServerError)
    assert errors.APITimeoutError is errors.Timeout and errors.APIError is errors.LLMError
    assert exceptions.RateLimitError is errors.RateLimitError


def test_instance_attributes_and_openai_body() -> None:
    error = errors.RateLimitError(
        "slow down", provider="openai", model="gpt-4o", retry_after=2.0, code="rate_limit_exceeded"
    )
    assert (error.status_code, error.status, error.llm_provider, error.type) == (
        429,
        429,
        "openai",
        "rate_limit_error",
    )
    assert error.retryable and error.fallback_ok and error.retry_after == 2.0
    assert str(error) == "RateLimitError (openai/gpt-4o): slow down"
    assert error.to_openai_body() == {
        "error": {
            "message": str(error),
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    assert errors.BadRequestError("x").to_openai_body()["error"]["code"] == "400"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "1500"}, 1.5), ({"retry-after": "3"}, 3.0), ({"retry-after": "soon"}, None),
     ({"retry-after-ms": "x", "retry-after": "2"}, 2.0), ({}, None), ({"retry-after": "-4"}, 0.0)],
)  # fmt: skip
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert errors.parse_retry_after(headers) == expected


def test_refine_bad_request_by_message() -> None:
    assert (
        errors.refine_bad_request("prompt is too long: 210000 tokens > 200000 maximum")
        is errors.ContextWindowExceededError
    )
    too_long = errors.refine_bad_request("too long", "context_length_exceeded")
    assert too_long is errors.ContextWindowExceededError
    # content policy: by the provider's error code only, never by words in the message
    assert errors.refine_bad_request("filtered", "content_filter") is errors.ContentPolicyViolationError
    assert errors.refine_bad_request("x", "content_policy_violation") is errors.ContentPolicyViolationError
    for message in (
        'Invalid JSON payload received. Unknown name "safety_identifier": Cannot find field.',
        "Invalid value at 'safety_settings[0].threshold'",
        "content_filter triggered",
    ):
        assert errors.refine_bad_request(message) is errors.BadRequestError
    assert errors.refine_bad_request("temperature must be <= 2") is errors.BadRequestError
