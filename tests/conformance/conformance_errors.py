"""Error answers in each provider's own shape, as its API reference documents them, for any status."""

from __future__ import annotations

import json
from dataclasses import dataclass

# OpenAI's error `type` per status
_OPENAI_TYPES = {401: "invalid_request_error", 403: "request_forbidden", 429: "requests", 500: "server_error",
                 503: "server_error"}  # fmt: skip
# Anthropic's error `type` per status (docs.anthropic.com/en/api/errors)
_ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                    404: "not_found_error", 408: "timeout_error", 413: "request_too_large",
                    429: "rate_limit_error", 500: "api_error", 503: "overloaded_error"}  # fmt: skip
# google.rpc.Code names per HTTP status (cloud.google.com/apis/design/errors)
_RPC_STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 408: "DEADLINE_EXCEEDED", 413: "INVALID_ARGUMENT", 422: "INVALID_ARGUMENT",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}  # fmt: skip
# Bedrock's exception names per status (docs.aws.amazon.com/bedrock/latest/APIReference, Converse);
# 413 and 422 have none: the status alone tells them
_BEDROCK_EXCEPTIONS = {400: "ValidationException", 401: "UnrecognizedClientException",
                       403: "AccessDeniedException", 404: "ResourceNotFoundException",
                       408: "ModelTimeoutException", 429: "ThrottlingException",
                       500: "InternalServerException", 503: "ServiceUnavailableException"}  # fmt: skip
# SageMaker Runtime's error names per status (docs.aws.amazon.com/sagemaker/latest/APIReference,
# InvokeEndpoint; AccessDeniedException and ThrottlingException from AWS's common errors)
_SAGEMAKER_ERRORS = {400: "ValidationError", 403: "AccessDeniedException", 429: "ThrottlingException",
                     500: "InternalFailure", 503: "ServiceUnavailable"}  # fmt: skip
# Replicate's problem titles (RFC 7807 bodies)
_REPLICATE_TITLES = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
                     408: "Request timeout", 413: "Payload too large", 422: "Input validation failed",
                     429: "Too many requests", 500: "Internal server error",
                     503: "Service unavailable"}  # fmt: skip

# watsonx.ai's error codes per status (cloud.ibm.com/apidocs/watsonx-ai, "Error handling")
_WATSONX_CODES = {400: "json_validation_error", 401: "authentication_token_not_valid",
                  403: "authorization_rejected", 404: "model_not_supported", 408: "request_timeout",
                  413: "payload_too_large", 422: "invalid_input_argument", 429: "token_quota_reached",
                  500: "internal_server_error", 503: "service_unavailable"}  # fmt: skip

# Cloudflare API error codes per status (Workers AI's 5006 bad input, 10000 authentication...)
_CLOUDFLARE_CODES = {400: 5006, 401: 10000, 403: 10000, 404: 7003, 408: 3007, 413: 3006, 422: 5006,
                     429: 3036, 500: 3043, 503: 3040}  # fmt: skip

# Databricks' error_code per status (docs.databricks.com, REST API error codes)
_DATABRICKS_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                     404: "NOT_FOUND", 408: "DEADLINE_EXCEEDED", 413: "BAD_REQUEST",
                     422: "INVALID_PARAMETER_VALUE", 429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR",
                     503: "TEMPORARILY_UNAVAILABLE"}  # fmt: skip

# OCI's API error codes per status (docs.oracle.com/iaas/Content/API/References/apierrors.htm)
_OCI_CODES = {400: "InvalidParameter", 401: "NotAuthenticated", 403: "NotAllowed",
              404: "NotAuthorizedOrNotFound", 408: "RequestTimeout", 413: "RequestEntityTooLarge",
              422: "InvalidatedRetryToken", 429: "TooManyRequests", 500: "InternalServerError",
              503: "ServiceUnavailable"}  # fmt: skip


@dataclass(frozen=True)
class ErrorAnswer:
    headers: dict[str, str]
    body: bytes
    # the machine-readable name the answer gives its error (the mapped error's `code`), if any
    code: str | None


def error_response(shape: str, status: int, message: str) -> ErrorAnswer:
    """An error answer with this status and human message, in the provider's shape."""
    headers = {"content-type": "application/json"}
    code: str | None = None
    body: object
    if shape == "openai":
        body = {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "invalid_request_error"),
                          "param": None, "code": None}}  # fmt: skip
    elif shape == "azure":
        code = str(status)
        body = {"error": {"code": code, "message": message}}
    elif shape == "anthropic":
        code = _ANTHROPIC_TYPES.get(status, "api_error")
        body = {"type": "error", "error": {"type": code, "message": message}}
    elif shape == "gemini":
        code = _RPC_STATUSES[status]
        body = {"error": {"code": status, "message": message, "status": code}}
    elif shape == "bedrock":
        code = _BEDROCK_EXCEPTIONS.get(status)
        if code is not None:
            headers["x-amzn-errortype"] = f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        body = {"message": message}
    elif shape == "sagemaker":
        code = _SAGEMAKER_ERRORS.get(status)
        if code is not None:
            headers["x-amzn-errortype"] = code
        body = {"message": message}
    elif shape == "cohere":
        body = {"id": "0e0a3c4e-6f3c-4a48-9a47-7d1a2c1f9b10", "message": message}
    elif shape == "replicate":
        headers["content-type"] = "application/problem+json"
        body = {"title": _REPLICATE_TITLES[status], "detail": message, "status": status}
    elif shape == "huggingface":
        # the router and TGI answer {"error": "...", "error_type": "..."}
        body = {"error": message, "error_type": "validation" if status < 500 else "generation"}
    elif shape == "watsonx":
        # watsonx.ai: {"errors": [{"code", "message", "more_info"}], "trace", "status_code"}
        code = _WATSONX_CODES[status]
        body = {"errors": [{"code": code, "message": message, "more_info": "https://cloud.ibm.com/apidocs/watsonx-ai"}],
                "trace": "4d1a3b6c0e8f4a2b9c7d5e3f1a0b2c4d", "status_code": status}  # fmt: skip
    elif shape == "cloudflare":
        # Cloudflare's API envelope; its error codes are numbers
        code = str(_CLOUDFLARE_CODES[status])
        body = {"result": None, "success": False, "errors": [{"code": int(code), "message": message}],
                "messages": []}  # fmt: skip
    elif shape == "databricks":
        # Databricks REST errors: {"error_code": "...", "message": "..."}
        code = _DATABRICKS_CODES[status]
        body = {"error_code": code, "message": message}
    elif shape == "snowflake":
        # Snowflake's REST errors: {"code": "390144", "message", "request_id"}
        body = {"code": f"390{status}", "message": message, "request_id": "01b2c3d4-0000-1111"}
    elif shape == "oci":
        # OCI: {"code": "NotAuthenticated", "message": "..."}
        code = _OCI_CODES[status]
        body = {"code": code, "message": message}
    elif shape == "fastapi":
        # Voyage AI and Jina AI: FastAPI's {"detail": "..."}
        body = {"detail": message}
    elif shape == "ollama":
        # Ollama answers {"error": "..."} whatever the status
        body = {"error": message}
    elif shape == "deepgram":
        body = {"err_code": "REQUEST_FAILED", "err_msg": message, "request_id": "7d2c1f9b-0e0a"}
    elif shape == "elevenlabs":
        body = {"detail": {"status": "request_failed", "message": message}}
    else:
        raise AssertionError(f"unknown error shape {shape!r}")
    return ErrorAnswer(headers, json.dumps(body).encode(), code)
