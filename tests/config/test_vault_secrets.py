"""`key_management_system: hashicorp_vault`: `os.environ/NAME` read from Vault's KV v2 engine (the
simulator in llmrelay.testing.vault_sim, built from Vault's HTTP API reference), with LiteLLM's
settings — hosted_keys, the namespace, the mount and the path prefix — its refresh, and no secret
value ever in an error or a log line, also when Vault's error echoes it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.config.secrets.refresh import SecretRefresher
from llmrelay.config.secrets.vault import VaultKv2
from llmrelay.testing.vault_sim import VaultSimulator

TOKEN = "hvs.vault-test-token"
OPENAI_SECRET = "sk-openai-held-by-vault-0123456789"


@pytest.fixture
def vault() -> Iterator[VaultSimulator]:
    with VaultSimulator(token=TOKEN, mounts=("secret", "kv")) as sim:
        yield sim


def _env(vault: VaultSimulator, **extra: str) -> dict[str, str]:
    return {"HCP_VAULT_ADDR": vault.base_url, "HCP_VAULT_TOKEN": TOKEN, **extra}


def _document(
    settings: dict[str, Any] | None = None, key_ref: str = "os.environ/OPENAI_API_KEY"
) -> dict[str, Any]:
    general: dict[str, Any] = {"key_management_system": "hashicorp_vault"}
    if settings is not None:
        general["key_management_settings"] = settings
    return {
        "model_list": [{"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_key": key_ref}}],
        "general_settings": general,
    }


def _api_key(config: Any) -> str:
    return str(config.model_list[0]["litellm_params"]["api_key"])


def test_an_environ_reference_is_read_from_vault(vault: VaultSimulator) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    config = parse_config(_document(), source="c.yaml", environ=_env(vault, OPENAI_API_KEY="sk-from-env"))
    assert _api_key(config) == OPENAI_SECRET
    (read,) = vault.requests
    assert (read.method, read.path) == ("GET", "/v1/secret/data/OPENAI_API_KEY")
    assert read.headers["x-vault-token"] == TOKEN
    assert "x-vault-namespace" not in read.headers
    assert config.secrets is not None and config.secrets.names() == ["OPENAI_API_KEY"]


def test_namespace_mount_and_path_prefix(vault: VaultSimulator) -> None:
    vault.put("litellm/OPENAI_API_KEY", {"key": "sk-in-namespace"}, mount="kv", namespace="team-a")
    vault.put("litellm/OPENAI_API_KEY", {"key": "sk-root-namespace"}, mount="kv")
    env = _env(
        vault, HCP_VAULT_NAMESPACE="team-a", HCP_VAULT_MOUNT_NAME="kv", HCP_VAULT_PATH_PREFIX="litellm"
    )
    config = parse_config(_document(), source="c.yaml", environ=env)
    assert _api_key(config) == "sk-in-namespace"
    assert vault.requests[-1].path == "/v1/kv/data/litellm/OPENAI_API_KEY"
    assert vault.requests[-1].headers["x-vault-namespace"] == "team-a"


def test_vaults_own_names_are_accepted(vault: VaultSimulator) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    env = {"VAULT_ADDR": vault.base_url, "VAULT_TOKEN": TOKEN}
    assert _api_key(parse_config(_document(), source="c.yaml", environ=env)) == OPENAI_SECRET


def test_a_name_vault_lacks_falls_back_to_the_environment(vault: VaultSimulator) -> None:
    config = parse_config(_document(), source="c.yaml", environ=_env(vault, OPENAI_API_KEY="sk-from-env"))
    assert _api_key(config) == "sk-from-env"
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=_env(vault))
    assert "not set nor a secret in hashicorp_vault" in str(refused.value)
    assert "model_list[0].litellm_params.api_key" in str(refused.value)


def test_hosted_keys_choose_the_names_vault_is_asked_for(vault: VaultSimulator) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    vault.put("MASTER", {"key": "sk-master-from-vault"})
    document = _document({"hosted_keys": ["MASTER"]})
    document["general_settings"]["master_key"] = "os.environ/MASTER"
    config = parse_config(document, source="c.yaml", environ=_env(vault, OPENAI_API_KEY="sk-from-env"))
    # not hosted: the environment, Vault is not asked
    assert _api_key(config) == "sk-from-env"
    assert config.general.master_key == "sk-master-from-vault"
    assert [r.path for r in vault.requests] == ["/v1/secret/data/MASTER"]
    # a hosted name Vault lacks is an error, not a fallback
    with pytest.raises(ConfigError) as refused:
        parse_config(
            _document({"hosted_keys": ["OPENAI_API_KEY"]}, key_ref="os.environ/OPENAI_API_KEY"),
            source="c.yaml",
            environ=_env(vault, OPENAI_API_KEY="sk-from-env") | {"HCP_VAULT_PATH_PREFIX": "elsewhere"},
        )
    assert "hosted_keys" in str(refused.value)


def test_each_secret_is_read_once_at_startup(vault: VaultSimulator) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    document = _document()
    document["model_list"].append(
        {
            "model_name": "n",
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "os.environ/OPENAI_API_KEY"},
        }
    )
    parse_config(document, source="c.yaml", environ=_env(vault))
    assert len(vault.requests) == 1


def test_a_bad_token_stops_the_start_naming_the_setting(vault: VaultSimulator) -> None:
    env = _env(vault) | {"HCP_VAULT_TOKEN": "hvs.wrong"}
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=env)
    message = str(refused.value)
    assert "hashicorp_vault" in message and "HTTP 403" in message and "OPENAI_API_KEY" in message
    assert "hvs.wrong" not in message


def test_an_error_echoing_the_secret_never_reaches_the_message_or_the_log(
    vault: VaultSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    vault.fail_next(500, [f"internal error reading value {OPENAI_SECRET} with token {TOKEN}"])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=_env(vault))
    assert "HTTP 500" in str(refused.value)
    for text in (str(refused.value), repr(refused.value), caplog.text):
        assert OPENAI_SECRET not in text and TOKEN not in text


def test_the_refresh_reports_a_rotation_by_name_only(
    vault: VaultSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    config = parse_config(_document(), source="c.yaml", environ=_env(vault))
    assert config.secrets is not None
    refresher = SecretRefresher(config.secrets)
    caplog.set_level(logging.DEBUG)
    asyncio.run(refresher.refresh_once())
    assert "changed" not in caplog.text  # nothing rotated yet
    rotated = "sk-rotated-value-9876543210"
    vault.put("OPENAI_API_KEY", {"key": rotated})
    asyncio.run(refresher.refresh_once())
    assert "secret OPENAI_API_KEY changed in hashicorp_vault" in caplog.text
    assert "model_list[0].litellm_params.api_key" in caplog.text
    # reported once per rotation, and never a value
    asyncio.run(refresher.refresh_once())
    assert caplog.text.count("changed in hashicorp_vault") == 1
    assert rotated not in caplog.text and OPENAI_SECRET not in caplog.text
    # a read that fails is reported too, without what the error echoed
    vault.fail_next(403, [f"denied {rotated}"])
    asyncio.run(refresher.refresh_once())
    assert "secret refresh: hashicorp_vault: reading 'OPENAI_API_KEY' failed: HTTP 403" in caplog.text
    assert rotated not in caplog.text


def test_the_refresher_runs_on_its_interval_off_the_request_path(vault: VaultSimulator) -> None:
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    config = parse_config(_document({"refresh_interval_seconds": 1}), source="c.yaml", environ=_env(vault))
    assert config.secrets is not None and config.secrets.refresh_seconds == 1

    async def run() -> int:
        refresher = SecretRefresher(config.secrets)  # type: ignore[arg-type]
        await refresher.start()
        before = len(vault.requests)
        try:
            # waited for in a thread: the refresher runs on this loop
            await asyncio.to_thread(vault.log.wait_for, lambda items: len(items) > before, 10)
        finally:
            await refresher.stop()
        return len(vault.requests) - before

    assert asyncio.run(run()) >= 1


@pytest.mark.parametrize(
    ("settings", "env_extra", "fragment"),
    [
        ({"store_virtual_keys": True}, {}, "store_virtual_keys is not supported"),
        ({"access_mode": "write_only"}, {}, "write_only"),
        ({"primary_secret_name": "bundle"}, {}, "primary_secret_name is for aws_secret_manager only"),
        ({"hosted_key": ["X"]}, {}, "unknown setting"),
        ({}, {"HCP_VAULT_CLIENT_CERT": "cert.pem"}, "TLS-certificate sign-in is not supported"),
        ({}, {"HCP_VAULT_APPROLE_ROLE_ID": "role"}, "AppRole needs both"),
    ],
)
def test_what_is_not_implemented_stops_the_start(
    vault: VaultSimulator, settings: dict[str, Any], env_extra: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(settings), source="c.yaml", environ=_env(vault, **env_extra))
    assert fragment in str(refused.value)
    assert "key_management" in str(refused.value)


@pytest.mark.parametrize("system", ["azure_key_vault", "google_secret_manager", "made_up"])
def test_other_systems_are_refused_by_name(system: str) -> None:
    document = _document()
    document["general_settings"]["key_management_system"] = system
    with pytest.raises(ConfigError) as refused:
        parse_config(document, source="c.yaml", environ={"OPENAI_API_KEY": "x"})
    assert system in str(refused.value) and "general_settings.key_management_system" in str(refused.value)


def test_local_is_the_environment() -> None:
    document = _document()
    document["general_settings"]["key_management_system"] = "local"
    config = parse_config(document, source="c.yaml", environ={"OPENAI_API_KEY": "sk-env"})
    assert _api_key(config) == "sk-env" and config.secrets is None


def test_a_token_is_required() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ={"OPENAI_API_KEY": "x"})
    assert "HCP_VAULT_TOKEN" in str(refused.value)


def test_a_gateway_with_a_manager_refreshes_it_as_a_worker_service(vault: VaultSimulator) -> None:
    from llmrelay.proxy.server import build_app

    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    config = parse_config(_document(), source="c.yaml", environ=_env(vault))
    app = build_app(config)
    refreshers = [s for s in app.state.services if isinstance(s, SecretRefresher)]
    assert len(refreshers) == 1 and refreshers[0].managed is config.secrets
    (deployment,) = app.state.model_info
    assert "api_key" not in deployment["litellm_params"]  # the value read is never shown
    # a manager the config reads nothing from: nothing to refresh
    plain = build_app(parse_config(_document(key_ref="sk-inline"), source="c.yaml", environ=_env(vault)))
    assert not [s for s in plain.state.services if isinstance(s, SecretRefresher)]


ROLE_ID, SECRET_ID = "role-0001", "secret-id-held-by-the-gateway"


def test_approle_signs_in_and_reads_with_its_token(vault: VaultSimulator) -> None:
    vault.approles[ROLE_ID] = SECRET_ID
    vault.put("OPENAI_API_KEY", {"key": OPENAI_SECRET})
    env = {"HCP_VAULT_ADDR": vault.base_url, "HCP_VAULT_APPROLE_ROLE_ID": ROLE_ID,
           "HCP_VAULT_APPROLE_SECRET_ID": SECRET_ID}  # fmt: skip
    config = parse_config(_document(), source="c.yaml", environ=env)
    assert _api_key(config) == OPENAI_SECRET
    login, read = vault.requests
    assert (login.method, login.path) == ("POST", "/v1/auth/approle/login")
    assert json.loads(login.body) == {"role_id": ROLE_ID, "secret_id": SECRET_ID}
    assert read.headers["x-vault-token"].startswith("hvs.approle-")


def test_approle_signs_in_again_when_its_lease_runs_out() -> None:
    now = [1000.0]
    with VaultSimulator(
        token=TOKEN, approles={ROLE_ID: SECRET_ID}, lease_seconds=60, clock=lambda: now[0]
    ) as sim:
        sim.put("A", {"key": "a-value"})
        env = {
            "HCP_VAULT_ADDR": sim.base_url,
            "HCP_VAULT_APPROLE_ROLE_ID": ROLE_ID,
            "HCP_VAULT_APPROLE_SECRET_ID": SECRET_ID,
        }
        store = VaultKv2(env, clock=lambda: now[0])
        assert store.read("A") == "a-value" and store.read("A") == "a-value"
        assert sim.logins == 1
        now[0] += 31  # within the lease, but inside the renewal margin
        assert store.read("A") == "a-value"
        assert sim.logins == 2
        now[0] += 61  # the server has forgotten the token: a new sign-in, not a 403
        assert store.read("A") == "a-value" and sim.logins == 3


def test_a_refused_approle_names_the_failure_not_the_secret_id(
    vault: VaultSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    vault.approles[ROLE_ID] = "another-secret-id"
    env = {
        "HCP_VAULT_ADDR": vault.base_url,
        "HCP_VAULT_APPROLE_ROLE_ID": ROLE_ID,
        "HCP_VAULT_APPROLE_SECRET_ID": SECRET_ID,
    }
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=env)
    assert "AppRole sign-in failed: HTTP 400" in str(refused.value)
    assert SECRET_ID not in str(refused.value) and SECRET_ID not in caplog.text
