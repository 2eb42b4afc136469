"""The typed shape of config.yaml, in LiteLLM's schema.

Each section is a msgspec Struct used to check types (errors then name the path inside the file). The
Structs do not forbid unknown keys: the loader reports those as warnings itself, so a file written for
LiteLLM that uses settings llmrelay does not know still loads.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from llmrelay.auth.jwt_settings import JwtAuthSettings
from llmrelay.auth.sso_settings import SsoUserDefaults
from llmrelay.config.credentials import CredentialEntry
from llmrelay.config.pass_through import PassThroughEndpoint
from llmrelay.config.secrets.settings import KeyManagementSettings
from llmrelay.providers.registry import declared_names

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
    # LiteLLM's: a CA bundle path to verify the upstream with (true: the system's; false is refused),
    # and a client certificate (PEM, certificate and key) for mutual TLS (router/upstream_tls.py)
    ssl_verify: bool | str | None = None
    ssl_certificate: str | None = None


# litellm_params outside LitellmParams that LiteLLM users set; known, passed through to the router
# untouched: the parameters the providers declare (llmrelay.providers.declarations), and these
PROVIDER_PARAMS = frozenset(
    {
        *declared_names(),
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
    # llmrelay: seconds a deployment whose credentials were refused (401/403) sits out before the
    # next call probes it again (default 300; a changed key ends it at once)
    auth_cooldown_time: Annotated[float, msgspec.Meta(gt=0)] | None = None
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
    # llmrelay: caps on what an upstream may answer (docs/security.md): a whole answer (MiB, default
    # 64) and one event of a stream (MiB, default 16); past them the call fails with a 502
    max_upstream_response_mb: Annotated[float, msgspec.Meta(gt=0)] | None = None
    max_upstream_stream_event_mb: Annotated[float, msgspec.Meta(gt=0)] | None = None
    # llmrelay: items per request in embeddings' / moderations' `input` (default 2048) and rerank's
    # `documents` (default 1000); more is a 413 naming the field
    max_embedding_inputs: Annotated[int, msgspec.Meta(ge=1)] | None = None
    max_rerank_documents: Annotated[int, msgspec.Meta(ge=1)] | None = None
    # LiteLLM's: GET /metrics asks for a valid key (any key the gateway accepts), else 401
    require_auth_for_metrics_endpoint: bool | None = None
    # LiteLLM's: every deployment's ssl_verify / ssl_certificate unless it sets its own
    ssl_verify: bool | str | None = None
    ssl_certificate: str | None = None
    # LiteLLM's: what a user created by SSO sign-in gets (user_role, max_budget, budget_duration,
    # models); any other key is refused
    default_internal_user_params: SsoUserDefaults | None = None
    # LiteLLM's: Azure deployments without credentials of their own take a secretless identity
    # (azure-identity's DefaultAzureCredential: workload identity, App Service, IMDS), as
    # AZURE_CREDENTIAL=DefaultAzureCredential would (providers/azure/ambient.py)
    enable_azure_ad_token_refresh: bool | None = None

    def __post_init__(self) -> None:
        from llmrelay.router.upstream_tls import upstream_tls

        _, problem = upstream_tls(self.ssl_verify, self.ssl_certificate)
        if problem is not None:
            raise ValueError(problem)


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
    # the same as litellm_settings.require_auth_for_metrics_endpoint (LiteLLM's place for it)
    require_auth_for_metrics_endpoint: bool | None = None
    # LiteLLM's JWT auth: tokens signed by the keys at JWT_PUBLIC_KEY_URL, mapped by litellm_jwtauth
    # (docs/security.md); virtual keys keep working beside them
    enable_jwt_auth: bool | None = None
    litellm_jwtauth: JwtAuthSettings | None = None
    # llmrelay: failed authentications (401s) one client address may have per window before its
    # further failures are answered 429 until the window ends (0 = off); good keys are never
    # throttled. The throttle remembers at most auth_failure_max_addresses addresses.
    auth_failures_per_window: Annotated[int, msgspec.Meta(ge=0)] = 20
    auth_failure_window_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 60.0
    auth_failure_max_addresses: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 10_000
    # llmrelay: requests without a credential (public routes but the probes, unrouted paths) one
    # client address may send a minute before 429 (0 = off); remembers auth_failure_max_addresses
    unauthenticated_requests_per_minute: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0
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
    # llmrelay, connections (docs/security.md): seconds a connection may take to send a request's
    # headers — from its opening, and between two requests on a kept-alive connection — else closed
    connection_idle_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 15.0
    # llmrelay: seconds a request's whole body may take to arrive after its headers, else 408 (an
    # upload to /v1/files: the most seconds between two pieces of it)
    request_body_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    # llmrelay: the largest file /v1/files takes, in MB (streamed to the provider, never held
    # whole); larger is a 413. OpenAI takes up to 512 MB a file, 200 MB for a batch's input
    max_file_size_mb: Annotated[float, msgspec.Meta(gt=0, le=10_240)] = 200.0
    # LiteLLM's: seconds between the polls of the batches not billed yet (0: off; billed only when a
    # client reads them after they ended)
    proxy_batch_polling_interval: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    # llmrelay: open connections one worker process accepts at once (more wait in the listen
    # backlog); lowered to fit the process's file-descriptor limit
    max_connections_per_worker: Annotated[int, msgspec.Meta(ge=1)] = 1024
    # LiteLLM's: behind a front proxy, the client address (for the failed-auth throttle,
    # max_requests_per_client and allowed_ips) comes from X-Forwarded-For — believed only from
    # trusted_proxies
    use_x_forwarded_for: bool | None = None
    # llmrelay: the front proxies (addresses or CIDR networks) whose X-Forwarded-For is believed
    trusted_proxies: list[str] | None = None
    # llmrelay: requests one client address may have in flight on one worker at once, else 429
    max_requests_per_client: Annotated[int, msgspec.Meta(ge=1)] = 256
    # llmrelay: the embedded store's directory (a master key and no database_url); None: --data-dir,
    # LLMRELAY_DATA_DIR, else ~/.local/share/llmrelay (see llmrelay.gate.store)
    data_dir: str | None = None
    # llmrelay: false keeps a gateway without database_url master-key-only (no embedded store)
    embedded_database: bool | None = None
    # llmrelay, the Realtime WebSocket (/v1/realtime, docs/gateway.md): the largest message either
    # side may send (a larger one ends the session), seconds without a message either way before the
    # session is closed, and a session's longest life (its parallel slot is held that long at most)
    realtime_max_message_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 16 * 1024 * 1024
    realtime_idle_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 600.0
    realtime_max_session_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 3600.0
    # LiteLLM's: custom routes forwarded to a fixed target (config/pass_through.py)
    pass_through_endpoints: list[PassThroughEndpoint] | None = None
    # LiteLLM's: the secret manager `os.environ/NAME` references are read from (config/secrets/);
    # read while the config loads (config/secrets/setup.py), kept here for the record
    key_management_system: str | None = None
    key_management_settings: KeyManagementSettings | None = None
    # LiteLLM's: the client addresses and CIDR networks the gateway answers (proxy/network_policy.py)
    allowed_ips: list[str] | None = None
    # LiteLLM's: routes (paths, `/prefix/*`, or LiteLLM's route groups: config/route_rules.py) only
    # admins may call, and the only routes other callers may call
    admin_only_routes: list[str] | None = None
    allowed_routes: list[str] | None = None
    # llmrelay: the only routes the users of a role may call, e.g. {"internal_user_viewer": ["info_routes"]}
    role_allowed_routes: dict[str, list[str]] | None = None
    # llmrelay, stored Responses (proxy/responses_store.py; with a database only): false stores no
    # response (store: true and previous_response_id are then refused); how long a stored response
    # is kept ("30d" unless set; "never" keeps them until deleted); the largest conversation one may
    # hold, MB (8 unless set; larger ones are refused with a 400 when store is on)
    store_responses: bool = True
    responses_retention_period: str | None = None
    responses_max_stored_mb: PositiveNumber | None = None
    # LiteLLM's: models and credentials also kept in the database, managed with /model/new,
    # /model/update, /model/delete and /credentials (docs/admin-api.md); needs the key store
    store_model_in_db: bool | None = None

    def __post_init__(self) -> None:
        if self.use_x_forwarded_for and not self.trusted_proxies:
            raise ValueError(
                "use_x_forwarded_for needs trusted_proxies: the addresses or CIDR networks of your front "
                "proxies (anyone else could write any address into X-Forwarded-For)"
            )
        if self.trusted_proxies:
            from llmrelay.config.networks import trusted_networks

            trusted_networks(self.trusted_proxies)
        if self.allowed_ips is not None:
            from llmrelay.config.networks import trusted_networks

            if not self.allowed_ips:
                raise ValueError(
                    "allowed_ips is empty: it would refuse every client (leave it out to allow all)"
                )
            trusted_networks(self.allowed_ips)
        retention = self.responses_retention_period
        if retention is not None and retention.strip().lower() not in ("never", "forever"):
            from llmrelay.storage.durations import validate_duration

            # at load: a mistake stops the start with one line naming the key, not each worker
            validate_duration(retention)
        from llmrelay.config.route_rules import check_entry, check_role

        for entry in [*(self.admin_only_routes or ()), *(self.allowed_routes or ())]:
            check_entry(entry)
        for role, entries in (self.role_allowed_routes or {}).items():
            check_role(role)
            for entry in entries:
                check_entry(entry)

    def forwarding_proxies(self) -> list[str]:
        """The proxies whose X-Forwarded-For names the client; empty: the TCP peer is the client."""
        return list(self.trusted_proxies or ()) if self.use_x_forwarded_for else []

    def max_file_bytes(self) -> int:
        return int(self.max_file_size_mb * 1024 * 1024)

    def max_body_bytes(self) -> int:
        mb = self.max_request_size_mb if self.max_request_size_mb is not None else 10.0
        return int(mb * 1024 * 1024)

    def __repr__(self) -> str:
        # never print the master key or a database URL with its password
        key = "set" if self.master_key else "unset"
        return f"GeneralSettings(master_key={key}, database_url={'set' if self.database_url else 'unset'})"


TOP_LEVEL_SECTIONS: dict[str, Any] = {
    "model_list": list[ModelEntry],
    "credential_list": list[CredentialEntry],
    "router_settings": RouterSettings,
    "litellm_settings": LitellmSettings,
    "general_settings": GeneralSettings,
    "environment_variables": dict[str, str],
    "mcp_servers": dict[str, Any],  # config/mcp.py's McpServer per name
}
# model_info keys llmrelay reads (besides LiteLLM's price fields and supports_* capability flags)
MODEL_INFO_KEYS = ("id", "mode", "base_model", "max_tokens", "max_input_tokens", "max_output_tokens",
                   "litellm_provider")  # fmt: skip
