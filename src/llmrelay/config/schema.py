"""The typed shape of config.yaml, in LiteLLM's schema.

Each section is a msgspec Struct used to check types (errors then name the path inside the file). The
Structs do not forbid unknown keys: the loader reports those as warnings itself, so a file written for
LiteLLM that uses settings llmrelay does not know still loads.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

# limits and times are never negative; a timeout or a size of 0 would refuse everything
Count = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
PositiveNumber = Annotated[float, msgspec.Meta(gt=0)]


class LitellmParams(msgspec.Struct, kw_only=True):
    model: str
    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    base_url: str | None = None
    organization: str | None = None
    rpm: Count | None = None
    tpm: Count | None = None
    timeout: PositiveNumber | None = None
    stream_timeout: PositiveNumber | None = None
    max_retries: Count | None = None
    # LiteLLM's retries of this deployment (used as max_retries when that is not set)
    num_retries: Count | None = None
    weight: NonNegative | None = None
    order: Positive | None = None
    max_parallel_requests: Positive | None = None
    tags: list[str] | None = None
    extra_headers: dict[str, str] | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None


# provider-specific litellm_params LiteLLM users set; known, passed through to the router untouched
PROVIDER_PARAMS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_region_name",
        "aws_session_token",
        "aws_profile_name",
        "aws_role_name",
        "aws_session_name",
        "aws_web_identity_token",
        "aws_bedrock_runtime_endpoint",
        "vertex_project",
        "vertex_location",
        "vertex_credentials",
        "vertex_ai_project",
        "vertex_ai_location",
        "vertex_ai_credentials",
        "azure_ad_token",
        "tenant_id",
        "client_id",
        "client_secret",
        "azure_scope",
        "azure_authority_host",
        "base_model",
        "region_name",
        "custom_llm_provider",
        "drop_params",
        "temperature",
        "max_tokens",
        "top_p",
        "seed",
        "use_in_pass_through",
        "mock_response",
    }
)


class ModelEntry(msgspec.Struct, kw_only=True):
    model_name: str
    litellm_params: LitellmParams
    model_info: dict[str, Any] | None = None


class RouterSettings(msgspec.Struct, kw_only=True):
    routing_strategy: str | None = None
    num_retries: Count | None = None
    retry_after: NonNegative | None = None
    timeout: PositiveNumber | None = None
    stream_timeout: PositiveNumber | None = None
    fallbacks: list[dict[str, list[str]]] | None = None
    context_window_fallbacks: list[dict[str, list[str]]] | None = None
    content_policy_fallbacks: list[dict[str, list[str]]] | None = None
    default_fallbacks: list[str] | None = None
    allowed_fails: Count | None = None
    cooldown_time: NonNegative | None = None
    # LiteLLM's: never cool a deployment down (every failure is retried on it as if it were healthy)
    disable_cooldowns: bool | None = None
    redis_url: str | None = None
    redis_host: str | None = None
    redis_port: int | None = None
    redis_password: str | None = None
    enable_pre_call_checks: bool | None = None
    model_group_alias: dict[str, Any] | None = None
    # LiteLLM's: retries per error class, e.g. {"RateLimitErrorRetries": 3, "BadRequestErrorRetries": 0}
    retry_policy: dict[str, int] | None = None
    # LiteLLM's: strategy options, e.g. {"ttl": 60} or {"lowest_latency_buffer": 0.1}
    routing_strategy_args: dict[str, Any] | None = None
    # llmrelay: seconds over which allowed_fails are counted
    cooldown_window: PositiveNumber | None = None
    # llmrelay: seconds allowed between two chunks of a stream
    stream_chunk_timeout: PositiveNumber | None = None
    # llmrelay: prefix of the router's keys in Redis (several gateways sharing one Redis)
    redis_key_prefix: str | None = None


class LitellmSettings(msgspec.Struct, kw_only=True):
    drop_params: bool | None = None
    num_retries: Count | None = None
    request_timeout: PositiveNumber | None = None
    # used when router_settings does not set them
    allowed_fails: Count | None = None
    cooldown_time: NonNegative | None = None
    set_verbose: bool | None = None
    json_logs: bool | None = None
    fallbacks: list[dict[str, list[str]]] | None = None
    context_window_fallbacks: list[dict[str, list[str]]] | None = None
    content_policy_fallbacks: list[dict[str, list[str]]] | None = None
    default_fallbacks: list[str] | None = None
    callbacks: list[str] | str | None = None
    success_callback: list[str] | None = None
    failure_callback: list[str] | None = None
    # per-sink options by sink name, e.g. {"json_log": {"path": "calls.jsonl"}}
    callback_settings: dict[str, dict[str, Any]] | None = None
    # LiteLLM's: no sink exports message contents (requests' messages, responses), whatever its options
    turn_off_message_logging: bool | None = None
    cache: bool | None = None
    cache_params: dict[str, Any] | None = None
    telemetry: bool | None = None
    # default budget (USD) of every end user (a request's `user` field) without a budget of their own
    max_end_user_budget: NonNegative | None = None
    # the admin API's audit log (GET /audit); None: LITELLM_STORE_AUDIT_LOGS, else on
    store_audit_logs: bool | None = None


class GeneralSettings(msgspec.Struct, kw_only=True):
    """Gateway-wide settings. The first group is LiteLLM's; the rest are llmrelay's own."""

    master_key: str | None = None
    database_url: str | None = None
    database_connection_pool_limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    # seconds between spend writes to the database (llmrelay's default 1, LiteLLM's 10)
    proxy_batch_write_at: Annotated[float, msgspec.Meta(gt=0)] | None = None
    disable_spend_logs: bool | None = None
    max_request_size_mb: PositiveNumber | None = None
    # LiteLLM's: probe every deployment in the background every health_check_interval seconds
    background_health_checks: bool | None = None
    health_check_interval: PositiveNumber | None = None
    # LiteLLM's: GET /metrics asks for the master key too (open by default, as in LiteLLM)
    require_auth_for_metrics_endpoint: bool | None = None
    # llmrelay: seconds between SSE keep-alive comments while a stream waits for its first token
    stream_keepalive_seconds: float = 10.0
    # llmrelay: overall deadline of one request through the gateway, seconds (None = the router's)
    request_timeout_seconds: float | None = None
    # llmrelay: seconds in-flight requests get to finish on shutdown
    graceful_shutdown_seconds: float = 30.0
    # llmrelay: serve the OpenAPI document at /openapi.json and its viewer at /docs
    enable_docs: bool = True
    # LiteLLM's: no admin dashboard at /ui (the admin API itself stays)
    disable_admin_ui: bool = False
    # LiteLLM's: how long spend log rows are kept ("30d"; unset = 30d) and how often they are purged
    maximum_spend_logs_retention_period: str | None = None
    maximum_spend_logs_retention_interval: str | None = None
    # llmrelay: keys of config/litellm_keys.py refused at startup that the operator accepts running
    # without (each then a warning), e.g. ["general_settings.store_model_in_db"]
    llmrelay_accept_unsupported: list[str] | None = None
    # llmrelay: where each worker process keeps its spend spool (one subdirectory per worker)
    spend_spool_dir: str = "llmrelay-spool"

    def max_body_bytes(self) -> int:
        mb = self.max_request_size_mb if self.max_request_size_mb is not None else 10.0
        return int(mb * 1024 * 1024)

    def __repr__(self) -> str:
        # never print the master key or a database URL with its password
        key = "set" if self.master_key else "unset"
        return f"GeneralSettings(master_key={key}, database_url={'set' if self.database_url else 'unset'})"


TOP_LEVEL_SECTIONS: dict[str, Any] = {
    "model_list": list[ModelEntry],
    "router_settings": RouterSettings,
    "litellm_settings": LitellmSettings,
    "general_settings": GeneralSettings,
    "environment_variables": dict[str, str],
}
# model_info keys llmrelay reads (besides LiteLLM's price fields and supports_* capability flags)
MODEL_INFO_KEYS = ("id", "mode", "base_model", "max_tokens", "max_input_tokens", "max_output_tokens",
                   "litellm_provider")  # fmt: skip
