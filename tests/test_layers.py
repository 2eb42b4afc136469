"""Layering: the pure rooms (types/, wire/, providers/) reach no network, server or storage code.

Checked statically on the import graph, transitively through llmrelay's own modules, and counting
imports inside functions too (a lazy import is still a dependency)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import llmrelay

SRC = Path(llmrelay.__file__).resolve().parent.parent
PURE_ROOMS = ("llmrelay.types", "llmrelay.wire", "llmrelay.providers")
FORBIDDEN = (
    "aiohttp", "httpx", "requests", "urllib3", "socket", "ssl", "asyncio",
    "granian", "uvloop", "starlette", "fastapi",
    "sqlalchemy", "alembic", "aiosqlite", "asyncpg", "redis",
    "llmrelay.transport", "llmrelay.proxy", "llmrelay.storage", "llmrelay.router", "llmrelay.client",
    "llmrelay.core", "llmrelay.limits", "llmrelay.events", "llmrelay.testing",
)  # fmt: skip


def module_path(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@functools.cache
def imports_of(name: str) -> frozenset[str]:
    path = module_path(name)
    if path is None:
        return frozenset()
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".")
                anchor = parts if is_package else parts[:-1]
                base = ".".join(anchor[: len(anchor) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import mod` may name a submodule
            found.update(
                f"{target}.{alias.name}" for alias in node.names if module_path(f"{target}.{alias.name}")
            )
    return frozenset(found)


def closure(start: str) -> dict[str, str]:
    """Every module reachable from `start`, each with the llmrelay module that imported it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for target in imports_of(current):
            if target in seen:
                continue
            seen[target] = current
            if target.startswith("llmrelay"):
                todo.append(target)
    return seen


def pure_modules() -> list[str]:
    names = []
    for room in PURE_ROOMS:
        root = SRC.joinpath(*room.split("."))
        for path in root.rglob("*.py"):
            rel = path.relative_to(SRC).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return sorted(names)


def is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_pure_rooms_reach_no_network_server_or_storage_code() -> None:
    modules = pure_modules()
    assert "llmrelay.providers.openai.adapter" in modules and "llmrelay.wire.sse" in modules
    offenders = {
        name: sorted(f"{bad} (via {via})" for bad, via in closure(name).items() if is_forbidden(bad))
        for name in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_a_violation() -> None:
    # the transport is network code: its closure must be flagged, or the test above proves nothing
    assert any(is_forbidden(m) for m in closure("llmrelay.transport.http"))
