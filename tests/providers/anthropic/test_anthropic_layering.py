"""The Anthropic adapter and dialect are pure: importing them pulls in no network, server or storage
library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("aiohttp", "granian", "sqlalchemy", "redis", "asyncpg", "aiosqlite", "llmrelay.transport")


def test_anthropic_modules_import_no_io_libraries() -> None:
    code = (
        "import sys, llmrelay.providers.anthropic, llmrelay.wire.anthropic\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m in {FORBIDDEN!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_messages_format_is_modelled_once_in_the_wire_room() -> None:
    """The adapter reads and writes the shapes of llmrelay.wire.anthropic (schema.py, message.py):
    no Struct of its own for any part of the Messages format."""
    import inspect
    import pkgutil

    import msgspec

    import llmrelay.providers.anthropic as package

    own = []
    for info in pkgutil.iter_modules(package.__path__):
        module = __import__(f"{package.__name__}.{info.name}", fromlist=["_"])
        own += [
            f"{module.__name__}.{name}"
            for name, value in vars(module).items()
            if inspect.isclass(value)
            and issubclass(value, msgspec.Struct)
            and value.__module__ == module.__name__
        ]
    assert own == []


def test_the_wire_room_is_below_the_providers() -> None:
    """wire/anthropic holds the shapes the adapter uses: it must never need the adapter back."""
    code = (
        "import sys, llmrelay.wire.anthropic, llmrelay.wire.anthropic.message\n"
        "print(sorted(m for m in sys.modules if m.startswith('llmrelay.providers')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
