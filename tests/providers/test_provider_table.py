"""docs/providers/index.md's table is the registry's: every served prefix, as its adapter declares its
endpoint and variables (scripts/provider_table.py writes it; this fails when it was not re-run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from llmrelay.providers.registry import ProviderRegistry

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("provider_table", ROOT / "scripts" / "provider_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["provider_table"] = module
    spec.loader.exec_module(module)
    return module


def test_the_page_is_up_to_date() -> None:
    script = _script()
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.render(page) == page, "run: python scripts/provider_table.py"


def test_every_served_prefix_has_a_row() -> None:
    page = (ROOT / "docs" / "providers" / "index.md").read_text(encoding="utf-8")
    for name in ProviderRegistry.known():
        assert f"| `{name}/` |" in page, name


def test_the_counts_in_the_readme_and_the_sdk_page_are_the_registrys() -> None:
    count = len(ProviderRegistry.known())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sdk = (ROOT / "docs" / "sdk.md").read_text(encoding="utf-8")
    assert f"one call shape for {count} provider prefixes" in readme
    assert f"Every prefix llmrelay serves\n({count}," in sdk
