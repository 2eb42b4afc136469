"""LiteLLM's `litellm` command line, run as `llmrelay`: every option of LiteLLM's proxy CLI is served,
accepted with a note, or refused with one line naming it — never accepted in silence; its environment
defaults; and the quick start serving the model under its full name, its bare name and an alias."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llmrelay.cli import build_parser, main, parse_command_line
from llmrelay.cli import run as run_module
from llmrelay.cli.flags import FLAGS, Kind, Status
from llmrelay.cli.quick_start import QuickStart, quick_start_document, served_names
from llmrelay.config.loader import parse_config
from llmrelay.router import Router
from llmrelay.testing import simulators_in_thread
from llmrelay.testing.ports import free_port

BIN = Path(sys.executable).with_name("llmrelay")

# Every option of LiteLLM's proxy CLI (litellm/proxy/proxy_cli.py), as LiteLLM spells it.
LITELLM_OPTIONS = (
    "--host", "--port", "--num_workers", "--granian_threads", "--api_base", "--api_version", "--model",
    "-m", "--alias", "--add_key", "--headers", "--save", "--debug", "--detailed_debug", "--use_queue",
    "--temperature", "--max_tokens", "--request_timeout", "--drop_params", "--add_function_to_prompt",
    "--config", "-c", "--max_budget", "--telemetry", "--log_config", "--setup", "--version", "-v",
    "--health", "--test", "--test_async", "--iam_token_db_auth", "--azure_postgresql_auth",
    "--num_requests", "--run_gunicorn", "--run_hypercorn", "--run_granian", "--ssl_keyfile_path",
    "--ssl_certfile_path", "--ciphers", "--use_prisma_db_push", "--local", "--skip_server_startup",
    "--validate_config", "--keepalive_timeout", "--timeout_worker_healthcheck",
    "--max_requests_before_restart", "--max_requests_before_restart_jitter", "--limit_concurrency",
    "--enforce_prisma_migration_check", "--use_v2_migration_resolver", "--use_legacy_migration_resolver",
    "--reload", "--prometheus_metrics_port",
    # the spellings LiteLLM's docs and users write besides
    "--api_key", "--ssl_keyfile", "--ssl_certfile",
)  # fmt: skip
# LiteLLM reads these environment variables for its options' defaults
LITELLM_ENV = (
    "HOST", "PORT", "NUM_WORKERS", "GRANIAN_RUNTIME_THREADS", "DEBUG", "DETAILED_DEBUG",
    "SSL_KEYFILE_PATH", "SSL_CERTFILE_PATH", "KEEPALIVE_TIMEOUT", "TIMEOUT_WORKER_HEALTHCHECK",
    "MAX_REQUESTS_BEFORE_RESTART", "MAX_REQUESTS_BEFORE_RESTART_JITTER", "LIMIT_CONCURRENCY",
    "PROMETHEUS_METRICS_PORT",
)  # fmt: skip


def spellings() -> dict[str, object]:
    return {name: flag for flag in FLAGS for name in flag.spellings()}


def test_every_litellm_option_is_known():
    known = {*spellings(), "--version", "-v"}
    assert [option for option in LITELLM_OPTIONS if option not in known] == []


def test_every_litellm_environment_default_is_known():
    envs = {flag.env for flag in FLAGS if flag.env}
    assert [name for name in LITELLM_ENV if name not in envs] == []


def test_every_underscore_option_has_a_dash_spelling():
    names = spellings()
    for flag in FLAGS:
        if "_" in flag.name:
            assert flag.name.replace("_", "-") in names


def _value_for(flag):
    return {Kind.SWITCH: [], Kind.TEXT: ["x"], Kind.INT: ["3"], Kind.FLOAT: ["1.5"]}[flag.kind]


@pytest.mark.parametrize("flag", [f for f in FLAGS if f.status is Status.REFUSED], ids=lambda f: f.name)
def test_a_refused_option_stops_with_one_line_naming_it(flag, capsys):
    # given with a config that would otherwise serve: the refusal comes before anything starts
    code = main(["--model", "openai/gpt-4o", flag.name, *_value_for(flag)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [f"llmrelay: {flag.name} is not supported: {flag.text}"]


def test_a_refused_option_is_refused_in_its_dash_spelling_too(capsys):
    assert main(["--use-queue"]) == 2
    assert "--use_queue is not supported" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [f for f in FLAGS if f.status is Status.NO_EFFECT], ids=lambda f: f.name)
def test_an_option_without_effect_is_said_not_silently_taken(flag, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("model_list: []\n")
    code = main(["--config", str(config), "--validate_config", flag.name, *_value_for(flag)])
    err = capsys.readouterr().err
    assert code == 0
    assert f"llmrelay: note: {flag.name} has no effect: {flag.text}" in err


def test_a_refused_setting_from_the_environment_is_said(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MAX_REQUESTS_BEFORE_RESTART", "1000")
    config = tmp_path / "c.yaml"
    config.write_text("model_list: []\n")
    assert main(["--config", str(config), "--validate_config"]) == 0
    assert "environment variable MAX_REQUESTS_BEFORE_RESTART has no effect" in capsys.readouterr().err


def test_environment_defaults_as_litellm_reads_them(monkeypatch):
    monkeypatch.setenv("PORT", "4111")
    monkeypatch.setenv("HOST", "127.0.0.2")
    monkeypatch.setenv("NUM_WORKERS", "3")
    monkeypatch.setenv("DETAILED_DEBUG", "True")
    ns = parse_command_line(build_parser(), [], os.environ).ns
    assert (ns.port, ns.host, ns.num_workers) == (4111, "127.0.0.2", 3)
    assert (ns.detailed_debug, ns.debug) == (True, False)
    # the command line wins over the environment
    ns = parse_command_line(build_parser(), ["--port", "5000", "--num-workers", "2"], os.environ).ns
    assert (ns.port, ns.num_workers) == (5000, 2)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("PORT", "forty", "environment variable PORT: expected a whole number, got 'forty'"),
    ("DEBUG", "maybe", "environment variable DEBUG: expected true or false, got 'maybe'"),
])  # fmt: skip
def test_an_unreadable_environment_default_is_named(name, value, expected, monkeypatch, capsys):
    monkeypatch.setenv(name, value)
    assert main(["--model", "openai/gpt-4o", "--validate_config"]) == 2
    assert capsys.readouterr().err.strip() == f"llmrelay: {expected}"


@pytest.mark.parametrize(("args", "expected"), [
    (["--api_key", "k"], "give --config FILE, --model MODEL or --demo"),
    (["--config", "c.yaml", "--model", "openai/x"], "give --config FILE or --model MODEL, not both"),
    (["--config", "c.yaml", "--alias", "x"], "--alias only go with --model"),
    (["--model", "openai/x", "--ssl_certfile_path", "cert.pem"], "HTTPS needs both"),
    (["--model", "openai/x", "--num_workers", "0"], "--num_workers: expected at least 1, got 0"),
    (["--model", "openai/x", "--headers", "{not json"], "--headers: expected a JSON object"),
    (["--model", "openai/x", "--request_timeout", "-1"], "--request_timeout: expected seconds greater"),
])  # fmt: skip
def test_flags_that_do_not_go_together_are_one_line(args, expected, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1


def test_quick_start_serves_the_full_name_the_bare_name_and_the_alias():
    assert served_names("openai/gpt-4o-mini", "mini") == ["openai/gpt-4o-mini", "gpt-4o-mini", "mini"]
    assert served_names("gpt-3.5-turbo", None) == ["gpt-3.5-turbo"]
    document = quick_start_document(
        QuickStart("azure/my-deploy", api_key="k", api_version="2024-06-01", headers='{"X-A": "b"}')
    )
    assert document["model_list"][0]["litellm_params"] == {
        "model": "azure/my-deploy", "api_key": "k", "api_version": "2024-06-01",
        "extra_headers": {"X-A": "b"},
    }  # fmt: skip
    assert document["router_settings"] == {"model_group_alias": {"my-deploy": "azure/my-deploy"}}


def test_quick_start_temperature_and_max_tokens_are_the_models_defaults():
    # LiteLLM's `--temperature` / `--max_tokens`: call defaults of the one deployment, which the
    # router sends when a request leaves them out (tests/config/test_deployment_call_settings.py)
    document = quick_start_document(QuickStart("openai/gpt-4o", temperature=0.2, max_tokens=64))
    params = document["model_list"][0]["litellm_params"]
    assert (params["temperature"], params["max_tokens"]) == (0.2, 64)
    config = parse_config(document, source="--model")
    router = Router(**config.router_kwargs())
    deployment = router.router_deployments()[0].target
    router.close()
    assert deployment.defaults is not None
    assert (deployment.defaults.temperature, deployment.defaults.max_tokens) == (0.2, 64)


def test_keepalive_timeout_is_the_idle_connection_timeout(tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(
        run_module, "_check_and_serve", lambda ns, document, source: captured.update(document) or 0
    )
    assert main(["--model", "openai/gpt-4o", "--keepalive_timeout", "7"]) == 0
    assert captured["general_settings"]["connection_idle_timeout_seconds"] == 7


def test_validate_config_names_the_error(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("model_list:\n  - model_name: a\n    litellm_params: {model: openai/x, rpm: lots}\n")
    assert main(["--config", str(config), "--validate_config"]) == 2
    assert f"{config}: model_list[0].litellm_params.rpm" in capsys.readouterr().err


def test_skip_server_startup_migrates_and_exits(tmp_path, capsys):
    db = tmp_path / "gw.db"
    config = tmp_path / "c.yaml"
    config.write_text(f"model_list: []\ngeneral_settings: {{database_url: 'sqlite:///{db}'}}\n")
    assert main(["--config", str(config), "--skip_server_startup"]) == 0
    assert db.exists() and "not starting the server" in capsys.readouterr().out


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["--model", "openai/gpt-4o", "--api_key", "k", "--host", "127.0.0.1", "--port", str(port)]
        code = main(args)
    assert code == 2
    err = capsys.readouterr().err.strip()
    expected = f"cannot listen on 127.0.0.1:{port}: the port is in use (choose another with --port or PORT)"
    assert err.endswith(expected)


def chat(port: int, model: str) -> int:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode()
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_litellm_quick_start_command_line_serves_and_answers_test_and_health():
    """`litellm --model gpt-4o-mini --api_key K` as LiteLLM's quick start writes it, with the
    provider prefix and LiteLLM's spellings: every name answers, and --test / --health succeed."""
    with simulators_in_thread(["openai"]) as sims:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "NUM_WORKERS", "DEBUG")}
        proc = subprocess.Popen(
            [str(BIN), "--model", "openai/gpt-4o-mini", "--api_key", sims.openai.api_key,
             "--api_base", sims.openai.api_base, "--alias", "mini", "--host", "127.0.0.1",
             "--port", str(port), "--num_workers", "1"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                try:
                    status = chat(port, "gpt-4o-mini")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the gateway did not answer"
                    time.sleep(0.05)
            assert status == 200
            assert chat(port, "openai/gpt-4o-mini") == 200
            assert chat(port, "mini") == 200
            assert chat(port, "gpt-4o") == 404
            probe = [str(BIN), "--host", "127.0.0.1", "--port", str(port)]
            test = subprocess.run([*probe, "--test", "--model", "mini"], capture_output=True, text=True,
                                  timeout=30, env=env)  # fmt: skip
            assert test.returncode == 0, test.stderr
            assert '"object": "chat.completion"' in test.stdout.replace('":"', '": "')
            assert "data: [DONE]" in test.stdout
            health = subprocess.run([*probe, "--health"], capture_output=True, text=True, timeout=30, env=env)
            assert health.returncode == 0, health.stderr
            json.loads(health.stdout)
        finally:
            proc.terminate()
            proc.wait(15)


def test_docs_walk_every_option():
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    missing = [flag.name for flag in FLAGS if f"`{flag.name}`" not in text and flag.name[2:] not in text]
    assert missing == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_ssl_certfile_and_keyfile_serve_https(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "NUM_WORKERS", "DEBUG")}
    proc = subprocess.Popen(
        [str(BIN), "--model", "openai/gpt-4o-mini", "--api_key", "k", "--host", "127.0.0.1",
         "--port", str(port), "--ssl_certfile_path", str(cert), "--ssl_keyfile_path", str(key)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                url = f"https://127.0.0.1:{port}/health/liveliness"
                with urllib.request.urlopen(url, timeout=5, context=context) as reply:
                    assert reply.status == 200
                break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, "no HTTPS answer"
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(15)
    assert f"on https://127.0.0.1:{port}" in (proc.stderr.read() if proc.stderr else "")
