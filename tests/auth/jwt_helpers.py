"""Helpers of the JWT tests: real RSA, EC and Ed25519 keys, tokens signed with them (PyJWT), and a
JWKS server — a real HTTP server on a thread — whose key set a test can swap (a rotation) and whose
fetches it can count."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

AUDIENCE = "llmrelay-tests"
ISSUER = "https://idp.test"


class SigningKey:
    def __init__(self, kind: str, kid: str) -> None:
        self.kid = kid
        if kind == "rsa":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
        elif kind == "ec":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            self.alg = "EdDSA"

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        public: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig"}

    def token(self, *, alg: str | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, **claims}
        return jwt.encode(
            payload, self.private, algorithm=alg or self.alg, headers={"kid": self.kid, **(headers or {})}
        )


class JwksServer:
    """Serves {"keys": [...]} at /jwks.json; `keys` may be replaced at any time."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.fetches = 0
        self.failing = False  # answer 503 (an identity provider that is down)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                if owner.failing:
                    self.send_response(503)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"keys": [k.jwk() for k in owner.keys]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self.server.serve_forever, name="jwks", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(5)
