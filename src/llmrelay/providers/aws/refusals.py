"""Which AWS error answers mean "these keys are no longer good" — the signal to fetch the chain's keys
again and send once more. AWS refuses an expired session token with a 403 (not a 401) naming
`ExpiredTokenException` in the `x-amzn-ErrorType` header (Bedrock, SageMaker Runtime); keys taken back
by their issuer answer `UnrecognizedClientException`. Only the head is read: a stream's body is not
there to look at before the request is sent again."""

from __future__ import annotations

from collections.abc import Mapping

# lower-cased exception names, the error type header's part before ":" (and after "#", when the
# namespace is written in front)
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
    raw = headers.get("x-amzn-errortype") or headers.get("X-Amzn-ErrorType") or ""
    name = raw.split(":", 1)[0].rsplit("#", 1)[-1].strip().lower()
    return name in _STALE_KEYS
