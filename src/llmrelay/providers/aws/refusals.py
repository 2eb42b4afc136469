"""Which AWS error answers mean "these keys are no longer good" — the signal to fetch the chain's keys
again and send once more. AWS refuses an expired session token with a 403 (not a 401) naming
`ExpiredTokenException` in the `x-amzn-ErrorType` header (Bedrock, SageMaker Runtime); keys taken back
by their issuer answer `UnrecognizedClientException`. Only the head is read: a stream's body is not
there to look at before the request is sent again."""

from __future__ import annotations

from collections.abc import Mapping

from llmrelay.providers.aws.exceptions import ERROR_TYPE_HEADER, exception_name

# lower-cased exception names (aws/exceptions.py reads them off the header)
_STALE_KEYS = frozenset({
    "expiredtokenexception", "expiredtoken", "requestexpired",
    "unrecognizedclientexception", "invalidclienttokenid",
})  # fmt: skip


def keys_refused(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an AWS answer's head says the signing keys were refused for being stale."""
    if status == 401:
        return True
    if status != 403:
        return False
    name = exception_name(headers.get(ERROR_TYPE_HEADER))
    return name is not None and name.lower() in _STALE_KEYS
