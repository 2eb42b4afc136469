"""Google credentials → token requests: the signed JWT assertion (checked with the key's public half),
key files and their rotation, authorized-user refresh grants, token answers and errors — and that no
key, assertion or token ever shows in an error or a repr."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

from llmrelay.providers.grants import AccessToken, Blocking, Fetch
from llmrelay.providers.vertex.adc import GoogleAdc
from llmrelay.providers.vertex.auth import (
    JWT_BEARER,
    SCOPE,
    parse_token_response,
)
from llmrelay.types import errors
from llmrelay.types.http import HttpRequest, HttpResponse

TOKEN_URI = "https://oauth2.example.test/token"
NOW = 1_790_000_000.7


def make_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return make_key()


def service_account(private_pem: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "service_account",
        "project_id": "proj-1",
        "private_key_id": "kid-123",
        "private_key": private_pem,
        "client_email": "relay@proj-1.iam.gserviceaccount.com",
        "token_uri": TOKEN_URI,
        **extra,
    }


def first_request(source: str) -> HttpRequest:
    """The first HTTP request the credentials flow of `source` asks the engine to send (its file
    reads run inline, their failures thrown back in as the engine does)."""
    steps = GoogleAdc(source=source, well_known=None, metadata_host=None).flow(NOW)
    answer: object = None
    failure: BaseException | None = None
    while True:
        step = steps.send(answer) if failure is None else steps.throw(failure)
        answer, failure = None, None
        if isinstance(step, Fetch):
            steps.close()
            return step.request
        assert isinstance(step, Blocking)
        try:
            answer = step.run()
        except (errors.LLMError, OSError, ValueError) as exc:
            failure = exc


def form(body: bytes | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((body or b"").decode()).items()}


def test_service_account_assertion_is_signed_and_claims_are_googles(keypair: tuple[str, str]) -> None:
    private, public = keypair
    request = first_request(json.dumps(service_account(private)))
    assert request.method == "POST" and request.url == TOKEN_URI
    assert request.headers == {"content-type": "application/x-www-form-urlencoded"}
    fields = form(request.body)
    assert fields["grant_type"] == JWT_BEARER
    claims = jwt.decode(fields["assertion"], certs=public, audience=TOKEN_URI, clock_skew_in_seconds=10**9)
    assert claims == {
        "iss": "relay@proj-1.iam.gserviceaccount.com",
        "scope": SCOPE,
        "aud": TOKEN_URI,
        "iat": int(NOW),
        "exp": int(NOW) + 3600,
    }
    encoded_header = fields["assertion"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(encoded_header + "=" * (-len(encoded_header) % 4)))
    assert header["alg"] == "RS256" and header["kid"] == "kid-123"


def test_another_key_does_not_verify(keypair: tuple[str, str]) -> None:
    private, _ = keypair
    _, other_public = make_key()
    assertion = form(first_request(json.dumps(service_account(private))).body)
    with pytest.raises(ValueError, match="signature"):
        jwt.decode(
            assertion["assertion"], certs=other_public, audience=TOKEN_URI, clock_skew_in_seconds=10**9
        )


def test_key_file_is_read_per_token_so_rotation_is_picked_up(
    tmp_path: Path, keypair: tuple[str, str]
) -> None:
    private, public = keypair
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(service_account(private)))
    first = form(first_request(str(path)).body)["assertion"]
    jwt.decode(first, certs=public, audience=TOKEN_URI, clock_skew_in_seconds=10**9)
    new_private, new_public = make_key()
    path.write_text(json.dumps(service_account(new_private)))
    second = form(first_request(str(path)).body)["assertion"]
    jwt.decode(second, certs=new_public, audience=TOKEN_URI, clock_skew_in_seconds=10**9)
    # the cache key names the file, so the rotated key's tokens replace the old ones
    grant = GoogleAdc(source=str(path), well_known=None, metadata_host=None)
    assert GoogleAdc(source=str(path), well_known=None, metadata_host=None).cache_key == grant.cache_key


def test_json_text_with_a_byte_order_mark_is_accepted(keypair: tuple[str, str]) -> None:
    assert first_request("\ufeff" + json.dumps(service_account(keypair[0]))).url == TOKEN_URI


def test_default_token_uri_is_googles(keypair: tuple[str, str]) -> None:
    info = service_account(keypair[0])
    del info["token_uri"]
    assert first_request(json.dumps(info)).url == "https://oauth2.googleapis.com/token"


SECRET_MARKER = "SECRETKEYMATERIAL"
BAD_PEM = f"-----BEGIN PRIVATE KEY-----\n{SECRET_MARKER}\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("source", "match"),
    [
        (json.dumps(service_account(BAD_PEM)), "not a valid PEM RSA private key"),
        (json.dumps({"type": "service_account", "private_key": SECRET_MARKER}), "lacks client_email"),
        ('{"type": "service_account", "private_key": "' + SECRET_MARKER, "not valid JSON"),
        (json.dumps({"type": "gdch_service_account", "secret": SECRET_MARKER}), "unsupported Google"),
        (json.dumps({"type": "external_account", "secret": SECRET_MARKER}), "lack audience"),
        (json.dumps({"type": "authorized_user", "client_secret": SECRET_MARKER}), "lack client_id, refresh"),
        ("/nonexistent/dir/sa.json", "cannot read the credentials file '/nonexistent/dir/sa.json'"),
        # key material in a form not taken for JSON (here: base64) is never echoed as a "path"
        (base64.b64encode(json.dumps(service_account(BAD_PEM)).encode()).decode(), "given value not shown"),
    ],
)  # fmt: skip
def test_bad_credentials_are_authentication_errors_without_secrets(source: str, match: str) -> None:
    grant = GoogleAdc(source=source, well_known=None, metadata_host=None)
    with pytest.raises(errors.AuthenticationError, match=match) as info:
        first_request(source)
    error = info.value
    shown = " ".join([str(error), repr(error), json.dumps(error.to_openai_body())])
    assert SECRET_MARKER not in shown
    # the library's own exception (whose text may quote the key) is not chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert error.provider == "vertex_ai"
    assert SECRET_MARKER not in repr(grant) and SECRET_MARKER not in grant.cache_key


def test_authorized_user_credentials_use_a_refresh_grant() -> None:
    info = {"type": "authorized_user", "client_id": "cid", "client_secret": "cs", "refresh_token": "rt"}
    request = first_request(json.dumps(info))
    assert request.url == "https://oauth2.googleapis.com/token"
    assert form(request.body) == {
        "grant_type": "refresh_token", "client_id": "cid", "client_secret": "cs", "refresh_token": "rt",
    }  # fmt: skip


def answer(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status=status, body=json.dumps(body).encode())


def test_token_answer_is_parsed_and_its_repr_hides_the_token() -> None:
    token = parse_token_response(answer(200, {"access_token": "ya29.abc", "expires_in": 3599,
                                              "token_type": "Bearer"}))  # fmt: skip
    assert token == AccessToken(token="ya29.abc", expires_in=3599)
    assert "ya29" not in repr(token)


def test_refused_grant_is_an_authentication_error() -> None:
    with pytest.raises(errors.AuthenticationError, match="Invalid JWT Signature") as info:
        parse_token_response(
            answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        )
    assert info.value.status_code == 401 and info.value.code == "invalid_grant"
    assert not info.value.retryable


def test_token_endpoint_outage_is_retryable_and_empty_answer_is_refused() -> None:
    with pytest.raises(errors.ServiceUnavailableError) as info:
        parse_token_response(HttpResponse(status=503, body=b"<html>unavailable</html>"))
    assert info.value.retryable
    with pytest.raises(errors.AuthenticationError, match="without an access_token"):
        parse_token_response(answer(200, {"token_type": "Bearer"}))
