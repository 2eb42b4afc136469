"""OCI Generative AI (`oci/<model>`), sans-IO: chat over `POST {endpoint}/20231130/actions/chat`,
where the endpoint is `https://inference.generativeai.{oci_region}.oci.oraclecloud.com` (or
`api_base`). The body is a `ChatDetails` in the GENERIC or COHERE format by the model's maker
(request.py); answers and streams are read by response.py and stream.py. Every request is signed
with the user's API key (signing.py): at once for a key given as text, by `authorize` for a key file
the engine reads off the event loop (config.py).

Not written: embeddings (`/actions/embedText`), rerank, the Cohere v2 format (COHEREV2), instance
and resource principals (only a user's API key signs), session tokens.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from llmrelay.providers.base import Codec, ErrorDetails, Provider, openai_style_error_details
from llmrelay.providers.grants import Credential, SigningKey
from llmrelay.providers.oci import config
from llmrelay.providers.oci import request as wire
from llmrelay.providers.oci.config import OciKeyFile
from llmrelay.providers.oci.params import OCI_PARAMS
from llmrelay.providers.oci.response import error_details, to_chat_response
from llmrelay.providers.oci.signing import load_key, sign
from llmrelay.providers.oci.stream import OciStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse

_encoder = msgspec.json.Encoder()


class _CohereFormat(Provider):
    """The parameter rules of the COHERE format (top_k; no n, tool_choice, response_format)."""

    name = "oci"
    supported_params = wire.COHERE_PARAMS


class OCIProvider(Provider):
    name = "oci"
    requires_api_key = False
    supported_params = wire.GENERIC_PARAMS
    deployment_params = OCI_PARAMS

    def __init__(self) -> None:
        super().__init__()
        self._cohere = _CohereFormat()
        # loaded keys by a digest of their PEM text, so a key is parsed once, not per request
        self._keys: dict[str, Any] = {}

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"chat": Codec(self.prepare_chat, self.parse_chat)}

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # request.model may be a gateway's alias: only a model id it names decides
        if wire.is_cohere(request.model.removeprefix("oci/")):
            return self._cohere.check_params(request, drop)
        return super().check_params(request, drop)

    def _key(self, pem: str, source: str) -> Any:
        digest = hashlib.sha256(pem.encode()).hexdigest()
        key = self._keys.get(digest)
        if key is None:
            if len(self._keys) >= 64:  # keys rotate: the oldest are forgotten
                self._keys.pop(next(iter(self._keys)))
            key = self._keys[digest] = load_key(pem, source)
        return key

    # ---- credentials
    def token_grant(self, deployment: Deployment) -> OciKeyFile | None:
        return config.signing(deployment).key_file

    def authorize(self, request: HttpRequest, token: Credential) -> HttpRequest:
        """Sign with the key the engine read from the key file."""
        if not isinstance(token, SigningKey):
            raise TypeError("an OCI request is signed with the key of its key file")
        return sign(request, self._key(token.pem, "oci_key_file"), token.key_id)

    # ---- requests
    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        signing = config.signing(deployment)
        headers = {"content-type": "application/json", "accept": "application/json"}
        if deployment.extra_headers:
            headers.update({k.lower(): v for k, v in deployment.extra_headers.items()})
        body = _encoder.encode(wire.chat_details(request, deployment))
        prepared = HttpRequest(url=config.chat_url(deployment), headers=headers, body=body,
                               stream=bool(request.stream))  # fmt: skip
        if signing.key_text is None:
            return prepared  # signed by `authorize`, once the engine has read the key file
        return sign(prepared, self._key(signing.key_text, "oci_key"), signing.key_id)

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        return to_chat_response(response.body, request.model)

    def chat_stream_decoder(self, request: ChatRequest) -> OciStreamDecoder:
        return OciStreamDecoder(self, request.model)

    def error_message(self, body: bytes) -> str | None:
        details = error_details(body)
        return details.message if details is not None and details.message else super().error_message(body)

    def error_details(self, body: bytes) -> ErrorDetails:
        return error_details(body) or openai_style_error_details(body)
