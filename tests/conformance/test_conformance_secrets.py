"""Where every adapter puts the credential, for every call type: only in an auth header (or, for
SigV4 and OCI's key, nowhere but the signature derived from it). Never in the body, never in the URL,
unless the provider's API requires a query parameter for it, and then the case declares it
(key_in_query)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from conformance_calls import sent_requests
from conformance_case import AdapterCase
from conformance_cases import CASE_CALL_IDS, CASE_CALLS, CASES

# the headers providers read credentials from (OpenAI and most: authorization; Azure: api-key;
# Anthropic: x-api-key; Gemini: x-goog-api-key; Sarvam: api-subscription-key beside authorization)
AUTH_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "x-goog-api-key", "api-subscription-key"})


@pytest.mark.parametrize(("case", "call"), CASE_CALLS, ids=CASE_CALL_IDS)
def test_key_travels_only_in_the_auth_header(case: AdapterCase, call: str) -> None:
    for request in sent_requests(case, call):
        url = urlsplit(request.url)
        in_query = [name for name, value in parse_qsl(url.query) if case.secret in value]
        assert in_query == ([case.key_in_query] if case.key_in_query else [])
        assert case.secret not in url._replace(query="").geturl()
        assert case.secret.encode() not in (request.body or b"")
        carriers = {name for name, value in request.headers.items() if case.secret in value}
        assert carriers <= AUTH_HEADERS
        if case.keyless:
            assert not carriers and not in_query
        elif not carriers and not in_query:
            # signed, not sent: a SigV4 signature (or OCI's RSA signature) is derived from the secret key
            assert request.headers["authorization"].startswith(("AWS4-HMAC-SHA256 ", 'Signature version="1"'))


def test_no_adapter_declares_a_key_in_the_query() -> None:
    """Today every provider takes its key in a header (Gemini's x-goog-api-key, not `key=`): a new
    declaration is a decision to review, not an accident."""
    assert [c.id for c in CASES if c.key_in_query] == []
