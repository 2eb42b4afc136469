"""SigV4 as the adapter signs it and the simulator checks it (both through botocore), and the
credential values' reprs."""

from __future__ import annotations

import datetime as dt

from llmrelay.providers.bedrock.credentials import AwsKeys, BearerToken
from llmrelay.providers.bedrock.signing import auth_headers
from llmrelay.testing.bedrock_wire import verify_sigv4

KEYS = AwsKeys("AKIATEST", "test/secret+key", "token-123")
SECRETS = {"AKIATEST": "test/secret+key"}
URL = "http://127.0.0.1:8080/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse"
BODY = b'{"messages":[]}'


def signed(url: str = URL, body: bytes = BODY) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept": "application/json"}
    headers.update(auth_headers(KEYS, "us-east-1", "POST", url, headers, body))
    headers["host"] = "127.0.0.1:8080"
    return headers


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    headers = signed()
    assert verify_sigv4("POST", URL, headers, BODY, SECRETS) is None
    failure = verify_sigv4("POST", URL, headers, BODY + b" ", SECRETS)
    assert failure is not None and failure.error_type == "InvalidSignatureException"
    failure = verify_sigv4("POST", URL.replace("converse", "converse-stream"), headers, BODY, SECRETS)
    assert failure is not None and failure.error_type == "InvalidSignatureException"
    forged = {**headers, "x-amz-security-token": "other-token"}
    assert verify_sigv4("POST", URL, forged, BODY, SECRETS) is not None
    failure = verify_sigv4("POST", URL, headers, BODY, {"AKIATEST": "another secret"})
    assert failure is not None and "does not match" in failure.message


def test_unknown_keys_missing_or_stale_signatures() -> None:
    headers = signed()
    failure = verify_sigv4("POST", URL, headers, BODY, {"AKIAOTHER": "x"})
    assert failure is not None and failure.error_type == "UnrecognizedClientException"
    failure = verify_sigv4("POST", URL, {"host": "h"}, BODY, SECRETS)
    assert failure is not None and failure.error_type == "MissingAuthenticationTokenException"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    failure = verify_sigv4("POST", URL, headers, BODY, SECRETS, now=later)
    assert failure is not None and "expired" in failure.message


def test_path_with_an_arn_is_signed_as_sent() -> None:
    url = "http://127.0.0.1:8080/model/arn:aws:bedrock:us-east-1:1:inference-profile%2Fus.x-v1:0/converse"
    assert verify_sigv4("POST", url, signed(url), BODY, SECRETS) is None


def test_bearer_token_and_reprs_hide_secrets() -> None:
    assert auth_headers(BearerToken("tok"), "us-east-1", "POST", URL, {}, BODY) == {
        "authorization": "Bearer tok"
    }
    assert "test/secret+key" not in repr(KEYS) and "token-123" not in repr(KEYS)
    assert "AKIATEST" in repr(KEYS)
    assert "tok" not in repr(BearerToken("tok"))
