"""A whole gateway (build_app from a config: virtual keys on SQLite, the admin API, the dashboard)
served by an embedded Granian on its own thread, for the dashboard tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmrelay.config.loader import parse_config
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-ui-test-master-key"


def ui_document(directory: Path, **general: Any) -> dict[str, Any]:
    """Two model groups (never called here) and virtual keys in a fresh SQLite file."""
    models = [
        {"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_base": "http://127.0.0.1:9/v1",
                                                 "api_key": "sk-upstream-secret"}}
        for name in ("gpt-4o-mini", "gpt-4o")
    ]  # fmt: skip
    settings = {
        "master_key": MASTER_KEY,
        "database_url": f"sqlite+aiosqlite:///{directory / 'ui.db'}",
        "spend_spool_dir": str(directory / "spool"),
        **general,
    }
    return {"model_list": models, "general_settings": settings}


class UiGateway(GatewayThread):
    """llmrelay.testing.gateway.GatewayThread from a config document."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(parse_config(document, source="<test>"), name="ui-gateway")
