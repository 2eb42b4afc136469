"""Optional dependencies: which package extra brings which module, so a plain `pip install llmrelay`
(the SDK alone) that is asked to serve says which extra to install instead of a traceback."""

from __future__ import annotations

import importlib.util

# the top-level module → the extra of pyproject.toml that installs it
EXTRA_OF_MODULE: dict[str, str] = {
    "granian": "proxy",
    "sqlalchemy": "db",
    "alembic": "db",
    "aiosqlite": "db",
    "asyncpg": "db",
    "redis": "redis",
    "prometheus_client": "metrics",
    "botocore": "bedrock",
    "google": "vertex",
    "opentelemetry": "otel",
    "bpe_openai": "tokens",
}
# what serving a gateway needs; virtual keys add the database modules
SERVING = ("granian",)
KEYS_SQLITE = ("sqlalchemy", "alembic", "aiosqlite")
KEYS_POSTGRES = ("sqlalchemy", "alembic", "asyncpg")


class MissingExtra(RuntimeError):
    """A module an optional feature needs is not installed; the message says which extra brings it."""

    def __init__(self, module: str, purpose: str) -> None:
        extra = EXTRA_OF_MODULE.get(module)
        fix = f"pip install 'llmrelay[{extra}]'" if extra else f"pip install {module}"
        if extra in ("proxy", "db"):
            fix += " (the gateway with virtual keys: pip install 'llmrelay[proxy,db]')"
        super().__init__(f"{purpose} needs the Python module {module!r}, which is not installed: {fix}")
        self.module = module
        self.extra = extra


def require(modules: tuple[str, ...], purpose: str) -> None:
    """Raise MissingExtra for the first of `modules` that cannot be imported."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(module, purpose)


def explain(exc: ModuleNotFoundError) -> MissingExtra | None:
    """A missing module met at import time, when it belongs to one of llmrelay's extras."""
    top = (exc.name or "").split(".", 1)[0]
    return MissingExtra(top, "this command") if top in EXTRA_OF_MODULE else None
