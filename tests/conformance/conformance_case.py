"""What the conformance suite knows of one adapter (AdapterCase), the call types it can serve and the
error statuses it is checked for. The cases themselves are in conformance_cases.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from llmrelay.types.deployment import Deployment

TESTS = Path(__file__).resolve().parents[1]

# every call type an adapter can serve; "stream" and "text_stream" are the streamed chat and text
CALLS = ("chat", "stream", "embedding", "text_completion", "text_stream", "rerank", "moderation", "image")
STREAMED = frozenset({"stream", "text_stream"})

# the statuses every adapter's error mapping is checked for
ERROR_STATUSES = (400, 401, 403, 404, 408, 413, 422, 429, 500, 503)
ERROR_CLASSES: dict[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    413: "RequestTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


@dataclass(frozen=True)
class ErrorStream:
    """A recorded stream that ends in the provider's error event, and the error it must raise."""

    answer: str  # a path under tests/, as in AdapterCase.answers
    error_class: str
    message: str  # (part of) the provider's message the error keeps
    code: str | None = None


@dataclass(frozen=True)
class AdapterCase:
    id: str  # the golden folder's name: the registry name, or `<name>-<variant>`
    provider: str  # the registry name
    deployment: Deployment
    # call type → recorded answer, a path under tests/ (`path#key`: the key's value in a JSON file)
    answers: Mapping[str, str]
    # the wire family of error bodies (see conformance_errors.error_response)
    error_shape: str
    # call type → the deployment's model for it, where it differs from deployment.model
    models: Mapping[str, str] = field(default_factory=dict)
    # call type → the recorded first answer of a call of two exchanges (Replicate's stream URL)
    first_answers: Mapping[str, str] = field(default_factory=dict)
    # streamed call type → more recorded transcripts (tool calls, reasoning, several choices...) for
    # the stream checks; the golden file holds the one in `answers`
    more_streams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a chat stream ending in the provider's error event
    error_stream: ErrorStream | None = None
    embedding_input: tuple[str, ...] = ("hello world", "second text")
    # statuses whose class differs from ERROR_CLASSES, as the provider documents them
    error_classes: Mapping[int, str] = field(default_factory=dict)
    # the query parameter the provider's API requires the key in (none does today; Gemini's `key=`
    # would be declared here)
    key_in_query: str | None = None
    # a provider with nothing to authenticate to (a model run in this process): the key given to
    # it must travel nowhere at all
    keyless: bool = False

    @property
    def calls(self) -> frozenset[str]:
        return frozenset(self.answers)

    def transcripts(self, call: str) -> tuple[str, ...]:
        """Every recorded stream of a streamed call type: the golden one first."""
        return (self.answers[call], *self.more_streams.get(call, ()))

    @property
    def secret(self) -> str:
        """The credential that must not leak: the api key, for SigV4 the secret access key, for OCI
        the API signing key, or a ready bearer token."""
        options = self.deployment.options or {}
        # a ready bearer token (watsonx's `token`) is the credential when there is no key
        value = (self.deployment.api_key or options.get("aws_secret_access_key") or options.get("oci_key")
                 or options.get("token"))  # fmt: skip
        assert isinstance(value, str)
        return value

    def deployment_for(self, call: str) -> Deployment:
        model = self.models.get(call)
        return self.deployment if model is None else msgspec.structs.replace(self.deployment, model=model)

    def error_class(self, status: int) -> str:
        return self.error_classes.get(status) or ERROR_CLASSES[status]


def secret_for(case_id: str) -> str:
    # not shaped like any provider's key: the scrubbing checks prove the deployment's own value is
    # removed, not merely a key-shaped token
    return f"conformance-secret-{case_id}-7f3a9c2e"
