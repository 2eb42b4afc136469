"""A plain `pip install llmrelay` (the SDK alone) asked to serve: one line naming the missing module,
the extra that brings it and the pip command — never a ModuleNotFoundError traceback. The missing
module is simulated (None in sys.modules makes its import fail as if it were not installed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from llmrelay.cli.extras import EXTRA_OF_MODULE
from llmrelay.testing.gateway import free_port

WITHOUT = (
    "import sys\n"
    "for name in sys.argv[1].split(','):\n"
    "    sys.modules[name] = None\n"
    "from llmrelay.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def run_without(modules: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LLMRELAY_EMBEDDED_DATABASE"}
    return subprocess.run([sys.executable, "-c", WITHOUT, modules, *args], capture_output=True, text=True,
                          timeout=60, env=env)  # fmt: skip


def test_serving_without_the_proxy_extra_names_it():
    result = run_without("granian", "--model", "openai/gpt-4o", "--api_key", "k", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "llmrelay: serving the gateway needs the Python module 'granian', which is not installed: "
        "pip install 'llmrelay[proxy]' (the gateway with virtual keys: pip install 'llmrelay[proxy,db]')"
    )


def test_virtual_keys_without_the_db_extra_name_it(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        f"model_list: []\ngeneral_settings: {{master_key: sk-m, data_dir: '{tmp_path / 'd'}'}}\n"
    )
    result = run_without("sqlalchemy,aiosqlite", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    expected = (
        "llmrelay: virtual keys (a database_url, or a master key: the embedded store) needs the Python "
    )
    assert expected + "module 'sqlalchemy'" in result.stderr
    assert "pip install 'llmrelay[db]'" in result.stderr


def test_a_gateway_without_virtual_keys_does_not_need_the_db_extra():
    result = run_without(
        "sqlalchemy,alembic,aiosqlite,asyncpg", "--model", "openai/gpt-4o", "--validate_config"
    )
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout


def test_db_upgrade_without_the_db_extra_names_it():
    result = run_without("sqlalchemy", "db", "upgrade", "--database-url", "sqlite:///x.db")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("llmrelay: this command needs the Python module 'sqlalchemy'")


@pytest.mark.parametrize("module", sorted(EXTRA_OF_MODULE))
def test_every_extra_named_exists_in_pyproject(module):
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert EXTRA_OF_MODULE[module] in pyproject["project"]["optional-dependencies"]
