"""A simulator of Google Vertex AI: Gemini (`publishers/google`: generateContent, streamGenerateContent,
countTokens, and `predict` for text embeddings), Claude (`publishers/anthropic`: rawPredict,
streamRawPredict), Mistral (`publishers/mistralai`: rawPredict, streamRawPredict, Mistral's chat body)
and the open models' OpenAI-compatible `endpoints/openapi/chat/completions` (Llama, DeepSeek, Qwen)
under `/v1/projects/{project}/locations/{location}/...`, plus an OAuth2 token endpoint (`POST /token`).

Answers come from the Gemini, Anthropic and OpenAI simulators' builders; what Vertex adds is checked here:
every model route needs `Authorization: Bearer <token>` with a token this simulator issued (and that
has not expired or been revoked) or a static one (the simulator's api keys, default `sim-key`); Claude
bodies must carry `anthropic_version: vertex-2023-10-16` and no `model`. The token endpoint takes
RFC 7523 JWT bearer grants and verifies the assertion's RS256 signature against the public key of a
registered service account (`register_service_account`, or `new_service_account` which makes a key
file for tests), its audience (this endpoint) and times. Needs google-auth (`llmrelay[vertex]`).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from llmrelay.testing import content as c
from llmrelay.testing.anthropic_sim import AnthropicSimulator
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
)
from llmrelay.testing.gemini_sim import GeminiSimulator
from llmrelay.testing.openai_sim import OpenAISimulator
from llmrelay.testing.recorder import RecordedRequest

TOKEN_PATH = "/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
# accepted as a ready access token when no api keys are configured (RunningSimulator.api_key)
STATIC_TOKEN = "sim-key"
_MODEL_ROUTE = "/{version}/projects/{project}/locations/{location}/publishers/{publisher}/models/{target}"
_GEMINI_ACTIONS = frozenset({"generateContent", "streamGenerateContent", "countTokens"})
_RAW_PREDICT_ACTIONS = frozenset({"rawPredict", "streamRawPredict"})
_OPENAPI_ROUTE = "/{version}/projects/{project}/locations/{location}/endpoints/openapi/chat/completions"
# the open models' publishers on the OpenAI-compatible endpoint (the model id's prefix)
OPEN_MODEL_PUBLISHERS = frozenset({"meta", "deepseek-ai", "qwen", "openai"})


class VertexSimulator(ProviderSimulator):
    kind = "vertex"
    api_base_path = ""  # api_base replaces the host; the adapter adds /v1/projects/...
    default_context_window = 1_048_576

    def __init__(self, *, token_lifetime: int = 3600, **settings: Any) -> None:
        super().__init__(**settings)
        # the answer builders of the publishers' own simulators
        self.gemini = GeminiSimulator(**settings)
        self.anthropic = AnthropicSimulator(**settings)
        self.openai = OpenAISimulator(**settings)
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._accounts: dict[str, str] = {}  # client_email → public key PEM
        self._tokens: dict[str, float] = {}  # issued token → monotonic expiry
        self.tokens_issued = 0

    # ---- controls
    def configure(self, **changes: Any) -> None:
        super().configure(**changes)
        self._share_settings()

    def reset_state(self) -> None:
        # issued tokens outlive a reset, as a real token outlives a test: a client holding one keeps
        # working (revoke_tokens() ends them); the count starts again
        self.anthropic.reset_state()
        self._share_settings()
        with self._lock:
            self.tokens_issued = 0

    def _share_settings(self) -> None:
        self.gemini.settings = self.anthropic.settings = self.openai.settings = self.settings

    def register_service_account(self, client_email: str, public_key_pem: str) -> None:
        """Accept JWT assertions from this account, verified with this public key (PEM)."""
        with self._lock:
            self._accounts[client_email] = public_key_pem

    def new_service_account(
        self, token_uri: str, *, client_email: str = "sim@sim-project.iam.gserviceaccount.com",
        project_id: str = "sim-project",
    ) -> dict[str, Any]:  # fmt: skip
        """A fresh service-account key (the JSON a key file holds), registered here."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self.register_service_account(client_email, public_pem)
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": secrets.token_hex(20),
            "private_key": private_pem,
            "client_email": client_email,
            "client_id": "1" + "0" * 20,
            "token_uri": token_uri,
        }

    def accept_token(self, token: str, lifetime: float) -> None:
        """Accept `token` for `lifetime` seconds: one another simulated issuer (the metadata server,
        STS, IAM Credentials: testing/google_identity.py) handed out."""
        with self._lock:
            self._tokens[token] = time.monotonic() + lifetime

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (as an expiry or a revocation would): calls then get 401."""
        with self._lock:
            self._tokens.clear()

    # ---- provider definition
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", _MODEL_ROUTE, self.dispatch), ("POST", _OPENAPI_ROUTE, self.open_model_chat)]

    def add_to(self, app: web.Application) -> None:
        super().add_to(app)
        app.router.add_post(TOKEN_PATH, self._token_endpoint)

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        if detail.pop("envelope", None) == "anthropic":
            return self.anthropic.error_body(status, message, **detail)
        return self.gemini.error_body(status, message, **detail)

    def stream_error_event(self, status: int, message: str) -> bytes:
        return self.gemini.stream_error_event(status, message)

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ProviderError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        if not self._token_valid(token.strip()):
            return ProviderError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
            )
        return None

    def _token_valid(self, token: str) -> bool:
        keys = self.settings.api_keys
        if token in (keys if keys is not None else {STATIC_TOKEN}):
            return True
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if call.match.get("publisher", "mistralai") == "mistralai":
            return self.openai.kind_error(kind, call)
        if call.match["publisher"] == "anthropic":
            outcome = self.anthropic.kind_error(kind, self._claude_call(call))
            if isinstance(outcome, ProviderError):
                outcome.detail["envelope"] = "anthropic"
            return outcome
        return self.gemini.kind_error(kind, call)

    # ---- model routes
    async def dispatch(self, call: Call) -> Reply:
        publisher = call.match["publisher"]
        model, _, action = call.match["target"].partition(":")
        if call.match["version"] not in ("v1", "v1beta1"):
            raise ProviderError(404, f"API version {call.match['version']} not found")
        if publisher == "google" and action in _GEMINI_ACTIONS:
            return await self.gemini.dispatch(call)
        if publisher == "google" and action == "predict":
            return self.predict(model, call.body)
        if publisher == "anthropic" and action in _RAW_PREDICT_ACTIONS:
            claude = self._claude_call(call)
            try:
                return await self.anthropic.messages(claude)
            except ProviderError as exc:
                exc.detail["envelope"] = "anthropic"  # Claude's own errors pass through unchanged
                raise
        if publisher == "mistralai" and action in _RAW_PREDICT_ACTIONS:
            return await self.mistral_chat(model, action, call)
        raise ProviderError(
            404,
            f"Publisher Model `projects/{call.match['project']}/locations/{call.match['location']}/"
            f"publishers/{publisher}/models/{model}` not found or action {action!r} not supported.",
        )

    async def open_model_chat(self, call: Call) -> Reply:
        """Vertex's OpenAI-compatible endpoint: the model is `publisher/id` in the body."""
        if call.match["version"] not in ("v1", "v1beta1"):
            raise ProviderError(404, f"API version {call.match['version']} not found")
        model = call.body.get("model") if isinstance(call.body, dict) else None
        publisher = model.partition("/")[0] if isinstance(model, str) and "/" in model else None
        if publisher not in OPEN_MODEL_PUBLISHERS:
            raise ProviderError(400, f"model: {model!r} is not a publisher model served on this endpoint")
        return await self.openai.chat(call)

    async def mistral_chat(self, model: str, action: str, call: Call) -> Reply:
        """Mistral's chat API at rawPredict: the body names the model (without its @version) and
        takes no field Mistral does not know (stream_options among them)."""
        body = call.body
        if not isinstance(body, dict) or body.get("model") != model.partition("@")[0]:
            raise ProviderError(400, f"model: the body must name the model of the URL, {model!r}")
        if "stream_options" in body:
            raise ProviderError(422, "stream_options: Extra inputs are not permitted")
        if bool(body.get("stream")) != (action == "streamRawPredict"):
            raise ProviderError(400, "stream: true goes with streamRawPredict, and only with it")
        # Mistral reports a stream's usage in its last chunk unasked
        usage = {"stream_options": {"include_usage": True}} if body.get("stream") else {}
        return await self.openai.chat(
            Call(call.path, call.headers, call.query, {**body, **usage}, call.match, call.chunks)
        )

    def _claude_call(self, call: Call) -> Call:
        """The Messages request a Vertex Claude body stands for (model from the URL)."""
        body = call.body
        model, _, action = call.match["target"].partition(":")
        if not isinstance(body, dict):
            raise ProviderError(400, "the request body must be a JSON object", envelope="anthropic")
        if "model" in body:
            raise ProviderError(
                400, "model: the model is named by the URL on Vertex AI, not in the body",
                envelope="anthropic",
            )  # fmt: skip
        if body.get("anthropic_version") != VERTEX_ANTHROPIC_VERSION:
            raise ProviderError(
                400, f"anthropic_version: must be {VERTEX_ANTHROPIC_VERSION!r}", envelope="anthropic"
            )
        streaming = action == "streamRawPredict"
        if bool(body.get("stream")) != streaming:
            raise ProviderError(
                400, "stream: true goes with streamRawPredict, and only with it", envelope="anthropic"
            )
        messages = {k: v for k, v in body.items() if k != "anthropic_version"}
        return Call(
            call.path, call.headers, call.query, {**messages, "model": model}, call.match, call.chunks
        )

    def predict(self, model: str, body: Any) -> Reply:
        instances = body.get("instances") if isinstance(body, dict) else None
        if not isinstance(instances, list) or not instances:
            raise ProviderError(400, "instances: at least one instance is required")
        if "gemini-embedding" in model and len(instances) > 1:
            raise ProviderError(
                400,
                "Unable to submit request because it included too many instances. Reduce the number of "
                f"instances and try again: batchSize must be 1 but the entered value was {len(instances)}.",
            )
        parameters = body.get("parameters") or {}
        size = int(parameters.get("outputDimensionality") or (3072 if "gemini" in model else 768))
        predictions = []
        for i, instance in enumerate(instances):
            text = instance.get("content") if isinstance(instance, dict) else None
            if not isinstance(text, str):
                raise ProviderError(400, f"instances[{i}].content: a string is required")
            unknown = set(instance) - {"content", "task_type", "title"}
            if unknown:
                raise ProviderError(400, f"instances[{i}]: unknown field(s) {', '.join(sorted(unknown))}")
            predictions.append(
                {
                    "embeddings": {
                        "statistics": {"truncated": False, "token_count": c.count_tokens(text)},
                        "values": list(c.embedding_vector(text, size)),
                    }
                }
            )
        billable = sum(len(p) for p in (i["content"] for i in instances))
        return JsonReply({"predictions": predictions, "metadata": {"billableCharacterCount": billable}})

    # ---- OAuth2 token endpoint
    async def _token_endpoint(self, request: web.Request) -> web.Response:
        raw = await request.read()
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", errors="replace")).items()}
        headers = {k.lower(): v for k, v in request.headers.items()}
        # the assertion is a credential: recorded in raw_body only, not in the printed body
        self.requests.add(
            RecordedRequest(
                method=request.method, path=request.path, headers=headers, query=dict(request.query),
                body={"grant_type": form.get("grant_type")}, raw_body=raw, received_at=time.time(),
            )
        )  # fmt: skip
        if any(f.path and f.path in TOKEN_PATH for f in self.faults.active):
            fault = self.faults.take(TOKEN_PATH)
            if fault.status is not None:
                return _oauth_error(fault.status, "internal_failure", fault.message or "Simulated failure")
        if form.get("grant_type") != JWT_BEARER:
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
        audience = f"{request.scheme}://{request.host}{TOKEN_PATH}"
        error = self._check_assertion(form.get("assertion", ""), audience)
        if error is not None:
            return _oauth_error(400, "invalid_grant", error)
        token = "ya29.sim-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        return web.json_response(
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        )

    def _check_assertion(self, assertion: str, audience: str) -> str | None:
        """None when the JWT is well signed by a registered account, for this endpoint, in time;
        else Google's description of what is wrong."""
        from google.auth import exceptions, jwt

        try:
            claims = jwt.decode(assertion, verify=False)  # type: ignore[no-untyped-call]
        except (ValueError, exceptions.GoogleAuthError):
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
        with self._lock:
            public_key = self._accounts.get(str(claims.get("iss")))
        if public_key is None:
            return "Invalid grant: account not found"
        try:
            jwt.decode(assertion, certs=public_key, audience=audience, clock_skew_in_seconds=60)  # type: ignore[no-untyped-call]
        except (ValueError, exceptions.GoogleAuthError) as exc:
            if "signature" in str(exc).lower():
                return "Invalid JWT Signature."
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
        if SCOPE not in str(claims.get("scope", "")).split():
            return "Invalid OAuth scope or ID token audience provided."
        return None


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
