"""Databricks Model Serving, sans-IO, as LiteLLM calls it: `POST {api_base}/chat/completions` and
`{api_base}/embeddings` with the serving endpoint's name as `model`, where api_base is the
workspace's `https://<workspace>/serving-endpoints` (DATABRICKS_API_BASE), and a personal access
token as a bearer key (DATABRICKS_API_KEY). The bodies are OpenAI's; answers may carry content
blocks (content.py).
"""

from __future__ import annotations

import msgspec

from llmrelay.providers.base import ErrorDetails
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.databricks.content import DatabricksStreamDecoder, parse_response
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import InternalServerError
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatResponse


class _ErrorCode(msgspec.Struct):
    error_code: str | None = None


_error_code = msgspec.json.Decoder(_ErrorCode)

DATABRICKS_SPEC = CompatSpec(
    name="databricks",
    api_key_env=("DATABRICKS_API_KEY",),
    api_base_env=("DATABRICKS_API_BASE",),
    # Foundation Model APIs document these OpenAI fields as not taken
    unsupported_params=frozenset(
        {"logit_bias", "audio", "modalities", "prediction", "service_tier", "store", "verbosity"}
    ),
    docs="https://docs.databricks.com/aws/en/machine-learning/foundation-model-apis/api-reference",
)


class DatabricksProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(DATABRICKS_SPEC)

    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        try:
            return parse_response(response.body, self.name)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed response from Databricks: {exc}", provider=self.name
            ) from exc

    def error_details(self, body: bytes) -> ErrorDetails:
        """Databricks' REST errors are `{"error_code", "message"}`; its OpenAI-shaped ones `{"error"}`."""
        try:
            code = _error_code.decode(body).error_code
        except (msgspec.DecodeError, msgspec.ValidationError):
            code = None
        return ErrorDetails(code=code) if code else super().error_details(body)

    def chat_stream_decoder(self, request: ChatRequest) -> DatabricksStreamDecoder:  # type: ignore[override]
        return DatabricksStreamDecoder(self)
