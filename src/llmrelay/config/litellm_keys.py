"""LiteLLM's config.yaml keys that llmrelay does not implement, each classified once, here.

- REFUSED: the key would change security, money or routing. Set to anything but its off value, it
  stops the start with a message saying what is missing (fail closed), unless the operator accepts the
  gap: `general_settings.llmrelay_accept_unsupported: ["general_settings.store_model_in_db", ...]` or
  the environment variable LLMRELAY_ACCEPT_UNSUPPORTED (comma-separated), which turns the error into a
  warning.
- IGNORED: harmless to run without (logging detail, UI, tuning of a LiteLLM internal): one warning.

Keys llmrelay implements are the fields of the Structs in config/schema.py (and, for litellm_params,
the provider parameters, call defaults and prices it reads); docs/config.md lists them beside these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.Enum):
    REFUSED = "refused at startup"
    IGNORED = "ignored with a warning"


@dataclass(frozen=True, slots=True)
class KeyRule:
    status: Status
    why: str


def _r(why: str) -> KeyRule:
    return KeyRule(Status.REFUSED, why)


def _i(why: str) -> KeyRule:
    return KeyRule(Status.IGNORED, why)


_NO_GUARDRAILS = _r("no guardrails: requests and answers would pass unchecked")
_NO_JWT = _r(
    "no OAuth2 auth or custom SSO hook: the master key, virtual keys, JWTs and the dashboard's OIDC"
    " sign-in (GENERIC_* / GOOGLE_* / MICROSOFT_* variables) authenticate"
)
_NO_ACCESS = _r("no such access control (allowed_ips, allowed_routes and admin_only_routes are implemented)")
_NO_DB_MODELS = _r(
    "only models and credentials are kept in the database (store_model_in_db), never other objects"
)
_PASS_THROUGH_SECTION = _r(
    "LiteLLM reads pass-through endpoints from general_settings.pass_through_endpoints; move them there"
)
_NO_BUDGET = _r("no such budget or limit: spend would not be bounded as configured")
_NO_ROUTING = _r("no such routing feature: calls would be routed without it")
_NO_ALERTS = _i("no alerting channels (Slack, email...): use /metrics and the call log")
_NO_SECRETS = _r("no such secret manager: use key_management_system aws_secret_manager or hashicorp_vault")
_NO_FINE_TUNING = _r("no fine-tuning API: those calls would answer 404")
_FILES_FROM_MODEL_LIST = _r(
    "files and batches go to the model_list's OpenAI and Azure deployments (custom_llm_provider or "
    "model, docs/gateway.md); this setting would not be read"
)
_NO_FILE_STORAGE = _r("files are kept by the provider a batch runs on, never in a bucket of the gateway's")
_LOGGING = _i("logging detail llmrelay does not have; calls are logged by its own sinks")
_UI = _i("the admin UI has no such option")
_INTERNAL = _i("tunes a LiteLLM internal llmrelay does not have")
_MCP_TOOLS = _i("no tools defined in config: /mcp serves the tools of the mcp_servers")
_MCP_ALIASES = _r("no server aliases from litellm_settings: set `alias` on the mcp_servers entry")
_MCP_UI = _i("the admin UI does not manage MCP servers")

# top-level sections besides model_list / router_settings / litellm_settings / general_settings /
# environment_variables
SECTIONS: dict[str, KeyRule] = {
    "guardrails": _NO_GUARDRAILS,
    "files_settings": _FILES_FROM_MODEL_LIST,
    "finetune_settings": _NO_FINE_TUNING,
    "assistant_settings": _r("no Assistants API: those calls would answer 404"),
    "pass_through_endpoints": _PASS_THROUGH_SECTION,
    "mcp_tools": _MCP_TOOLS,
    "vector_store_registry": _r("no vector stores: retrieval calls would answer 404"),
    "search_tools": _r("no search API: search calls would answer 404"),
    "prompts": _r("no prompt management: prompt ids in requests would not be resolved"),
    "callback_settings": _i("write it under litellm_settings.callback_settings, where llmrelay reads it"),
    "model_group_settings": _NO_ROUTING,
    "router_general_settings": _INTERNAL,
}

LITELLM_PARAMS: dict[str, KeyRule] = {
    "max_budget": _NO_BUDGET,
    "budget_duration": _NO_BUDGET,
    "default_api_key_tpm_limit": _NO_BUDGET,
    "default_api_key_rpm_limit": _NO_BUDGET,
    "itpm": _NO_BUDGET,
    "otpm": _NO_BUDGET,
    "configurable_clientside_auth_params": _r("clients cannot override a deployment's api_base or key"),
    "provider_affinity_header": _NO_ROUTING,
    "tag_regex": _NO_ROUTING,
    "cooldown_time": _r("no per-deployment cooldown_time: set router_settings.cooldown_time"),
    "auto_router_config_path": _NO_ROUTING,
    "auto_router_config": _NO_ROUTING,
    "auto_router_default_model": _NO_ROUTING,
    "auto_router_embedding_model": _NO_ROUTING,
    "complexity_router_config": _NO_ROUTING,
    "complexity_router_default_model": _NO_ROUTING,
    "adaptive_router_config": _NO_ROUTING,
    "adaptive_router_default_model": _NO_ROUTING,
    "quality_router_config": _NO_ROUTING,
    "quality_router_default_model": _NO_ROUTING,
    "cache_control_injection_points": _r("no prompt-cache injection: calls would cost their uncached price"),
    "use_litellm_proxy": _INTERNAL,
    "use_chat_completions_api": _INTERNAL,
    "merge_reasoning_content_in_choices": _i("reasoning stays in `reasoning_content`, apart from the answer"),
    "allowed_openai_params": _i("every OpenAI parameter is passed (or dropped per drop_params) already"),
    "keepalive_seconds": _INTERNAL,
    "allow_client_keepalive_override": _INTERNAL,
    "max_file_size_mb": _r("one cap for every upload: general_settings.max_file_size_mb"),
    "litellm_trace_id": _LOGGING,
    "mock_timeout": _i("mock_response answers at once"),
    "vector_store_id": _r("no vector stores"),
    "s3_bucket_name": _NO_FILE_STORAGE,
    "gcs_bucket_name": _NO_FILE_STORAGE,
    "watsonx_region_name": _i("watsonx takes its region from api_base (https://<region>.ml.cloud.ibm.com)"),
}

MODEL_INFO: dict[str, KeyRule] = {
    "team_id": _r("no team-only models: the model would be open to every key"),
    "team_public_model_name": _r("no team-only models: the model would be open to every key"),
    "access_groups": _r("no model access groups: keys naming a group would not get its models"),
    "access_windows": _r("no access windows: the model would be open at all times"),
    "blocked": _r("no blocked models: the deployment would serve"),
    "ptu_count": _NO_BUDGET,
    "cost_per_ptu_per_hour": _NO_BUDGET,
    "ptu_effective_from": _NO_BUDGET,
    "ptu_effective_to": _NO_BUDGET,
    "allow_fail_open": _NO_ROUTING,
    "enable_tag_filtering": _NO_ROUTING,
    "db_model": _INTERNAL,
    "tier": _i("informational"),
    "description": _i("informational"),
    "internal_router_model": _LOGGING,
    "health_check_model": _i("health checks call the deployment's own model"),
    "health_check_timeout": _i("health checks use the router's timeout"),
    "created_at": _INTERNAL,
    "created_by": _INTERNAL,
    "updated_at": _INTERNAL,
    "updated_by": _INTERNAL,
}

ROUTER_SETTINGS: dict[str, KeyRule] = {
    "enable_tag_filtering": _i("tags always filter deployments (docs/routing.md)"),
    "tag_filtering_match_any": _r("tag matching is match-any only"),
    "allowed_fails_policy": _r("no allowed fails per error class: set allowed_fails"),
    "model_group_retry_policy": _r("no retry policy per model group: set retry_policy"),
    "default_max_parallel_requests": _NO_BUDGET,
    "max_fallbacks": _r("fallback lists are tried to their end"),
    "default_litellm_params": _r("no router-wide call defaults: set them per deployment in litellm_params"),
    "provider_budget_config": _NO_BUDGET,
    "optional_pre_call_checks": _NO_ROUTING,
    "deployment_affinity_ttl_seconds": _NO_ROUTING,
    "routing_groups": _NO_ROUTING,
    "model_group_affinity_config": _NO_ROUTING,
    "weights": _NO_ROUTING,
    "tag_routing_prefix": _NO_ROUTING,
    "caching_groups": _r("the response cache is per model group"),
    "cache_responses": _r("use litellm_settings.cache for the response cache"),
    "cache_kwargs": _r("use litellm_settings.cache_params for the response cache"),
    "guardrail_list": _NO_GUARDRAILS,
    "search_tools": _r("no search API"),
    "redis_db": _r("give the database in redis_url (redis://host:6379/<db>)"),
    "default_priority": _r("no request scheduler / priority queue"),
    "polling_interval": _INTERNAL,
    "client_ttl": _INTERNAL,
    "debug_level": _LOGGING,
    "set_verbose": _LOGGING,
    "ignore_invalid_deployments": _r("an invalid deployment stops the start (one line naming it)"),
    "alerting_config": _NO_ALERTS,
    "assistants_config": _r("no Assistants API"),
    "enable_pre_call_check": _i("spelt enable_pre_call_checks"),
}

LITELLM_SETTINGS: dict[str, KeyRule] = {
    "service_callbacks": _LOGGING,
    "redact_user_api_key_info": _r("no redaction of key details (alias, user, team) in sink exports"),
    "langfuse_default_tags": _LOGGING,
    "force_ipv4": _INTERNAL,
    "modify_params": _i("parameters are mapped per provider by declared rules"),
    "enable_preview_features": _INTERNAL,
    "mcp_aliases": _MCP_ALIASES,
    "disable_end_user_cost_tracking": _i("end users' spend is always tracked"),
    "disable_end_user_cost_tracking_prometheus_only": _i("end users' spend is always tracked"),
    "key_generation_settings": _r("no limits on who may generate keys beyond the master key"),
    "disable_add_transform_inline_image_block": _INTERNAL,
    "use_chat_completions_url_for_anthropic_messages": _INTERNAL,
    "disable_hf_tokenizer_download": _INTERNAL,
    "enable_json_schema_validation": _r("answers are not validated against the request's JSON schema"),
    "enable_key_alias_format_validation": _i("key aliases are not format-checked"),
    "disable_copilot_system_to_assistant": _INTERNAL,
    "max_budget": _r("no proxy-wide budget: spend would not be bounded"),
    "budget_duration": _r("no proxy-wide budget"),
    "max_internal_user_budget": _NO_BUDGET,
    "internal_user_budget_duration": _NO_BUDGET,
    "default_team_settings": _r("no default team settings: teams would get none of them"),
    "default_key_generate_params": _r("no default key params: keys would get none of them"),
    "upperbound_key_generate_params": _r("no upper bounds on generated keys"),
    "default_max_internal_user_budget": _NO_BUDGET,
    "public_teams": _NO_ACCESS,
    "guardrails": _NO_GUARDRAILS,
    "context_window_fallback_dict": _r("use context_window_fallbacks"),
    "model_group_alias_map": _r("use router_settings.model_group_alias"),
    "num_retries_per_request": _r("use num_retries"),
    "return_response_headers": _i("upstream response headers are not returned"),
    "global_disable_no_log_param": _LOGGING,
    "log_raw_request_response": _LOGGING,
    "success_callback_params": _LOGGING,
    "presidio_ad_hoc_recognizers": _NO_GUARDRAILS,
    "disable_token_counter": _INTERNAL,
    "drop_params_extra": _INTERNAL,
    "max_user_budget": _NO_BUDGET,
}

GENERAL_SETTINGS: dict[str, KeyRule] = {
    "supported_db_objects": _NO_DB_MODELS,
    "store_prompts_in_spend_logs": _i(
        "spend rows never hold prompts or answers (use a json_log sink with log_messages for them)"
    ),
    "custom_auth": _r("no custom auth hook: only the master key and virtual keys authenticate"),
    "custom_key_generate": _r("no custom key generation hook"),
    "custom_sso": _NO_JWT,
    "enable_oauth2_auth": _NO_JWT,
    "enable_oauth2_proxy_auth": _NO_JWT,
    "oauth2_config_mappings": _NO_JWT,
    "public_routes": _NO_ACCESS,
    "ui_access_mode": _NO_ACCESS,
    "allow_client_side_credentials": _r("clients cannot send provider credentials (they would be refused)"),
    "enforce_user_param": _r("requests without `user` are not refused"),
    "enforced_params": _r("required request params are not enforced"),
    "reject_clientside_metadata_tags": _r("client metadata tags are not refused"),
    "default_team_disabled": _r("personal keys (no team) are not refused"),
    "use_client_credentials_pass_through_routes": _r(
        "pass-through routes always send the gateway's own provider credentials, never the client's"
    ),
    "use_azure_key_vault": _NO_SECRETS,
    "use_google_kms": _NO_SECRETS,
    "max_budget": _r("no proxy-wide budget: spend would not be bounded"),
    "budget_duration": _r("no proxy-wide budget"),
    "max_parallel_requests": _NO_BUDGET,
    "global_max_parallel_requests": _NO_BUDGET,
    "max_response_size_mb": _r("answers are not size-limited"),
    "disable_spend_updates": _r("spend is always counted against budgets"),
    "disable_reset_budget": _r("budgets always reset at their duration"),
    "disable_retry_on_max_parallel_request_limit_error": _NO_ROUTING,
    "completion_model": _NO_ROUTING,
    "embedding_model": _NO_ROUTING,
    "image_generation_model": _NO_ROUTING,
    "moderation_model": _NO_ROUTING,
    "infer_model_from_keys": _NO_ROUTING,
    "allow_requests_on_db_unavailable": _i("cached keys keep working while the database is down (always)"),
    "disable_master_key_return": _i("the master key is never returned by the API"),
    "disable_adding_master_key_hash_to_db": _INTERNAL,
    "allow_unmanaged_response_ids": _r(
        "a response id this gateway did not store is never found (404), whoever asks"
    ),
    "disable_responses_id_security": _r(
        "a stored response is only ever found by the key that made it (another key gets 404)"
    ),
    "forward_client_headers_to_llm_api": _r("client headers are not forwarded upstream"),
    "forward_openai_org_id": _r("the client's OpenAI organization is not forwarded"),
    "database_connection_timeout": _INTERNAL,
    "alerting": _NO_ALERTS,
    "alerting_threshold": _NO_ALERTS,
    "alerting_args": _NO_ALERTS,
    "alert_types": _NO_ALERTS,
    "alert_to_webhook_url": _NO_ALERTS,
    "spend_report_frequency": _NO_ALERTS,
    "health_check_details": _i("health details are always shown to the master key"),
    "proxy_budget_rescheduler_min_time": _INTERNAL,
    "proxy_budget_rescheduler_max_time": _INTERNAL,
    "service_account_settings": _r("no service-account key settings"),
    "user_api_key_cache_ttl": _i("keys are invalidated explicitly (docs/keys.md), not by ttl"),
    "disable_prisma_schema_update": _i("run `llmrelay db upgrade` to migrate"),
    "litellm_key_header_name": _r("keys are read from Authorization / x-api-key only"),
    "litellm_license": _i("no licence needed"),
    "user_mcp_management_mode": _MCP_UI,
    "allow_user_auth": _INTERNAL,
}

TABLES: dict[str, dict[str, KeyRule]] = {
    "": SECTIONS,
    "litellm_params": LITELLM_PARAMS,
    "model_info": MODEL_INFO,
    "router_settings": ROUTER_SETTINGS,
    "litellm_settings": LITELLM_SETTINGS,
    "general_settings": GENERAL_SETTINGS,
}

ACCEPT_KEY = "llmrelay_accept_unsupported"
ACCEPT_ENV = "LLMRELAY_ACCEPT_UNSUPPORTED"


def is_off(value: object) -> bool:
    """A refused key left at its off value (false, nothing, empty) asks for nothing missing."""
    return value is None or value is False or value == "" or value == [] or value == {}
