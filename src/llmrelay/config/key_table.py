"""docs/config.md's table of every LiteLLM config key and llmrelay's status for it, made from the
Structs of config/schema.py (supported), config/litellm_keys.py (refused / ignored) and the price
classification of cost/custom_prices.py. tests/config/test_unsupported_keys.py checks the docs hold
exactly this table (regenerate: `python -m llmrelay.config.key_table`)."""

from __future__ import annotations

from llmrelay.config.litellm_keys import TABLES, KeyRule, Status
from llmrelay.config.mcp import REFUSED_FIELDS as MCP_REFUSED
from llmrelay.config.mcp import McpServer
from llmrelay.config.schema import (
    MODEL_INFO_KEYS,
    PROVIDER_PARAMS,
    GeneralSettings,
    LitellmParams,
    LitellmSettings,
    RouterSettings,
)
from llmrelay.cost.custom_prices import PRICED, REFUSED
from llmrelay.types.call_defaults import DEFAULT_FIELDS

BEGIN = "<!-- litellm-keys:begin -->"
END = "<!-- litellm-keys:end -->"
SUPPORTED = "supported"


def _rows(supported: dict[str, str], rules: dict[str, KeyRule]) -> list[str]:
    entries = {key: (SUPPORTED, note) for key, note in supported.items()}
    entries.update(
        {key: (rule.status.value, rule.why) for key, rule in rules.items() if key not in supported}
    )
    return [f"| `{key}` | {status} | {note} |" for key, (status, note) in sorted(entries.items())]


def _fields(cls: type) -> dict[str, str]:
    return dict.fromkeys(getattr(cls, "__struct_fields__", ()), "")


def markdown() -> str:
    params = _fields(LitellmParams)
    params.update(dict.fromkeys(sorted(PROVIDER_PARAMS - set(DEFAULT_FIELDS)), "provider setting"))
    params.update(dict.fromkeys(DEFAULT_FIELDS, "call default (the request may override)"))
    params.update(dict.fromkeys(PRICED, "price (docs/cost.md)"))
    params.update({"drop_params": "for this deployment", "mock_response": "answers without the upstream"})
    price_rules = {key: KeyRule(Status.REFUSED, why) for key, why in REFUSED.items()}
    info = dict.fromkeys(MODEL_INFO_KEYS, "")
    info["supports_*"] = "capability flags (pre-call checks)"
    info.update(dict.fromkeys(PRICED, "price (docs/cost.md)"))
    sections = {
        "model_list": "", "router_settings": "", "litellm_settings": "", "general_settings": "",
        "environment_variables": "every variable is exported (strings, numbers, booleans)",
        "mcp_servers": "MCP servers shared at /mcp (docs/gateway.md)",
    }  # fmt: skip
    mcp = {key: "" for key in _fields(McpServer) if key not in MCP_REFUSED}
    mcp_rules = {key: KeyRule(Status.REFUSED, why) for key, why in MCP_REFUSED.items()}
    parts = [
        ("Top-level sections", _rows(sections, TABLES[""])),
        ("`model_list[].litellm_params`", _rows(params, {**price_rules, **TABLES["litellm_params"]})),
        ("`model_list[].model_info`", _rows(info, {**price_rules, **TABLES["model_info"]})),
        ("`router_settings`", _rows(_fields(RouterSettings), TABLES["router_settings"])),
        ("`litellm_settings`", _rows(_fields(LitellmSettings), TABLES["litellm_settings"])),
        ("`general_settings`", _rows(_fields(GeneralSettings), TABLES["general_settings"])),
        ("`mcp_servers.<name>`", _rows(mcp, mcp_rules)),
    ]
    out = [BEGIN]
    for title, rows in parts:
        out += ["", f"#### {title}", "", "| key | status | note |", "| --- | --- | --- |", *rows]
    out.append(END)
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
