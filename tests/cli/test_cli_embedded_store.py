"""Virtual keys without database_url: with a master key, the gateway keeps keys and spend in an
embedded SQLite store in a private data directory; database_url wins; the opt-out keeps the
master-key-only gateway."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from llmrelay.config.schema import GeneralSettings
from llmrelay.gate.store import DataDirError, data_dir, keys_store, prepare_data_dir
from llmrelay.testing import simulators_in_thread
from llmrelay.testing.gateway import free_port

BIN = Path(sys.executable).with_name("llmrelay")


def general(**fields: object) -> GeneralSettings:
    return GeneralSettings(**fields)  # type: ignore[arg-type]


def test_a_master_key_without_database_gets_the_embedded_store(tmp_path):
    store = keys_store(general(master_key="sk-m", data_dir=str(tmp_path)), {})
    assert store.data_dir == tmp_path
    assert store.database_url == f"sqlite+aiosqlite:///{tmp_path}/llmrelay.db"
    assert store.spool_dir("llmrelay-spool") == tmp_path / "spend-spool"
    assert store.spool_dir("/var/spool/x") == Path("/var/spool/x")


@pytest.mark.parametrize(("fields", "environ"), [
    ({"master_key": "sk-m", "embedded_database": False}, {}),
    ({"master_key": "sk-m"}, {"LLMRELAY_EMBEDDED_DATABASE": "false"}),
    ({}, {}),  # no master key: nobody could create a key, so no store either
])  # fmt: skip
def test_without_master_key_or_opted_out_there_are_no_virtual_keys(fields, environ):
    assert not keys_store(general(**fields), environ).enabled


def test_the_config_opt_in_wins_over_the_environment_opt_out(tmp_path):
    environ = {"LLMRELAY_EMBEDDED_DATABASE": "false", "LLMRELAY_DATA_DIR": str(tmp_path)}
    assert keys_store(general(master_key="sk-m", embedded_database=True), environ).enabled


def test_a_configured_database_wins():
    store = keys_store(general(master_key="sk-m", database_url="postgresql://u@h/db"), {})
    assert (store.database_url, store.data_dir) == ("postgresql+asyncpg://u@h/db", None)
    store = keys_store(general(master_key="sk-m"), {"DATABASE_URL": "sqlite:///x.db"})
    assert (store.database_url, store.data_dir) == ("sqlite+aiosqlite:///x.db", None)


def test_data_dir_precedence(tmp_path):
    assert data_dir(general(data_dir=str(tmp_path / "a")), {"LLMRELAY_DATA_DIR": "/b"}) == tmp_path / "a"
    assert data_dir(general(), {"LLMRELAY_DATA_DIR": str(tmp_path / "b")}) == tmp_path / "b"
    assert data_dir(general(), {"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "llmrelay"
    assert data_dir(general(), {}) == Path.home() / ".local" / "share" / "llmrelay"


def test_the_data_dir_is_created_private(tmp_path):
    directory = tmp_path / "deep" / "data"
    database = prepare_data_dir(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert database == directory / "llmrelay.db" and stat.S_IMODE(database.stat().st_mode) == 0o600
    database.chmod(0o644)  # made by an older run under a looser umask: tightened
    prepare_data_dir(directory)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_a_data_dir_open_to_others_is_refused(tmp_path):
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    with pytest.raises(DataDirError, match=r"other users can open it \(mode 755\); `chmod 700"):
        prepare_data_dir(directory)


def test_a_symlinked_database_file_is_refused(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir(mode=0o700)
    (directory / "llmrelay.db").symlink_to(tmp_path / "elsewhere.db")
    with pytest.raises(DataDirError, match="database file"):
        prepare_data_dir(directory)
    assert not (tmp_path / "elsewhere.db").exists()


def call(base: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_until_listening(proc: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            with urllib.request.urlopen(base + "/health/liveliness", timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.05)


def test_serve_with_only_a_master_key_gives_working_virtual_keys(tmp_path):
    """`llmrelay serve --config` whose config has a model and a master key, nothing else: a key is
    generated, calls the model, and its spend lands in the store in the data directory."""
    data = tmp_path / "data"
    with simulators_in_thread(["openai"]) as sims:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({
            "model_list": [{"model_name": "gpt", "litellm_params": {
                "model": "openai/gpt-4o-mini", "api_base": sims.openai.api_base,
                "api_key": sims.openai.api_key,
            }}],
            "general_settings": {"master_key": "sk-master-only"},
        }))  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ("LLMRELAY_EMBEDDED_DATABASE", "DATABASE_URL")}
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(data)],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_until_listening(proc, base)
            status, generated = call(base, "/key/generate", "sk-master-only", {"key_alias": "first"})
            assert status == 200, generated
            key = generated["key"]
            chat = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}
            status, answer = call(base, "/v1/chat/completions", key, chat)
            assert status == 200, answer
            assert call(base, "/v1/chat/completions", "sk-not-a-key", chat)[0] == 401
            deadline = time.monotonic() + 15
            while True:
                status, info = call(base, f"/key/info?key={key}", "sk-master-only")
                assert status == 200, info
                if info["info"]["spend"] > 0:
                    break
                assert time.monotonic() < deadline, f"no spend recorded: {info}"
                time.sleep(0.1)
            status, logs = call(base, "/spend/logs", "sk-master-only")
            assert status == 200 and len(logs) == 1
        finally:
            proc.terminate()
            proc.wait(15)
        stderr = proc.stderr.read() if proc.stderr else ""
    assert f"virtual keys: embedded SQLite store in {data}" in stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "llmrelay.db").stat().st_mode) == 0o600
    assert (data / "spend-spool").is_dir() and not (tmp_path / "llmrelay-spool").exists()


def test_serve_refuses_a_data_dir_open_to_others_in_one_line(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    config = tmp_path / "config.yaml"
    config.write_text("model_list: []\ngeneral_settings: {master_key: sk-m}\n")
    env = {k: v for k, v in os.environ.items() if k != "LLMRELAY_EMBEDDED_DATABASE"}
    env["LLMRELAY_DATA_DIR"] = str(shared)
    result = subprocess.run([str(BIN), "--config", str(config), "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 2
    assert f"llmrelay: data directory {shared}: other users can open it" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_with_a_master_key_only_config_migrates_the_embedded_store(tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.yaml"
    config.write_text(f"model_list: []\ngeneral_settings: {{master_key: sk-m, data_dir: '{data}'}}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LLMRELAY_EMBEDDED_DATABASE", "DATABASE_URL")}
    result = subprocess.run([str(BIN), "db", "upgrade", "--config", str(config)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"sqlite+aiosqlite:///{data}/llmrelay.db: at revision ")
    assert not (tmp_path / "llmrelay.db").exists()
