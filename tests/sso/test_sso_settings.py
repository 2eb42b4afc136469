"""LiteLLM's SSO variables as llmrelay reads them: the three providers, the attribute names, and every
refusal (incomplete, ambiguous, insecure, or a variable llmrelay does not implement) naming the
variable; the gateway's start refuses SSO without a master key, a database or the dashboard."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from llmrelay.auth.sso_settings import NOT_IMPLEMENTED, SsoSettings, SsoUserDefaults
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.proxy.sso_setup import check_sso

GENERIC = {
    "GENERIC_CLIENT_ID": "dashboard",
    "GENERIC_CLIENT_SECRET": "secret-value",
    "GENERIC_ISSUER": "https://idp.example.com/realms/main/",
    "PROXY_BASE_URL": "https://llm.example.com/",
}


def test_generic_provider_with_litellms_attribute_settings() -> None:
    env = GENERIC | {
        "GENERIC_SCOPE": "openid  email groups",
        "GENERIC_USER_ID_ATTRIBUTE": "sub",
        "GENERIC_USER_EMAIL_ATTRIBUTE": "mail",
        "GENERIC_USER_ROLE_ATTRIBUTE": "llm_role",
        "GENERIC_TOKEN_ENDPOINT": "https://idp.example.com/token",
        "GENERIC_CLIENT_USE_PKCE": "true",
    }
    read = SsoSettings.read(env)
    assert read is not None
    assert (read.issuer, read.redirect_uri, read.scope) == (
        "https://idp.example.com/realms/main", "https://llm.example.com/sso/callback", "openid email groups",
    )  # fmt: skip
    assert (read.user_id_attribute, read.email_attribute, read.role_attribute) == ("sub", "mail", "llm_role")
    assert read.token_endpoint == "https://idp.example.com/token" and read.authorization_endpoint is None
    assert read.secure_cookies and "secret-value" not in repr(read)
    # LiteLLM's defaults
    plain = SsoSettings.read(GENERIC)
    assert plain is not None
    assert (plain.scope, plain.user_id_attribute, plain.email_attribute, plain.role_attribute) == (
        "openid email profile", "preferred_username", "email", "role",
    )  # fmt: skip


def test_google_and_microsoft_presets() -> None:
    google = SsoSettings.read(
        {"GOOGLE_CLIENT_ID": "g", "GOOGLE_CLIENT_SECRET": "s", "PROXY_BASE_URL": "https://x.io"}
    )
    assert (
        google is not None and google.issuer == "https://accounts.google.com" and google.provider == "google"
    )
    env = {"MICROSOFT_CLIENT_ID": "m", "MICROSOFT_CLIENT_SECRET": "s", "PROXY_BASE_URL": "https://x.io"}
    microsoft = SsoSettings.read(env | {"MICROSOFT_TENANT": "contoso.onmicrosoft.com"})
    assert microsoft is not None
    assert microsoft.issuer == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
    with pytest.raises(ValueError, match="MICROSOFT_TENANT"):
        SsoSettings.read(env)
    with pytest.raises(ValueError, match="not one tenant"):
        SsoSettings.read(env | {"MICROSOFT_TENANT": "common"})


def test_no_provider_is_no_sso() -> None:
    assert SsoSettings.read({"PROXY_BASE_URL": "https://x.io"}) is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"GENERIC_ISSUER": ""}, "GENERIC_ISSUER"),
        ({"GENERIC_CLIENT_SECRET": ""}, "GENERIC_CLIENT_SECRET"),
        ({"PROXY_BASE_URL": ""}, "PROXY_BASE_URL"),
        ({"PROXY_BASE_URL": "http://llm.example.com"}, "PROXY_BASE_URL"),  # http off this machine
        ({"GENERIC_ISSUER": "http://idp.example.com"}, "GENERIC_ISSUER"),
        ({"GENERIC_AUTHORIZATION_ENDPOINT": "ftp://idp/auth"}, "GENERIC_AUTHORIZATION_ENDPOINT"),
        ({"GENERIC_SCOPE": "email profile"}, "openid"),
        ({"GENERIC_CLIENT_USE_PKCE": "false"}, "GENERIC_CLIENT_USE_PKCE"),
        ({"GOOGLE_CLIENT_ID": "g"}, "more than one SSO provider"),
        *[({name: "x"}, name) for name in NOT_IMPLEMENTED if name.startswith("GENERIC_")],
    ],
)
def test_refusals_name_the_variable(change: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        SsoSettings.read(GENERIC | change)


def test_http_is_allowed_to_this_machine_only() -> None:
    read = SsoSettings.read(
        GENERIC | {"GENERIC_ISSUER": "http://127.0.0.1:8080", "PROXY_BASE_URL": "http://localhost:4000"}
    )
    assert read is not None and not read.secure_cookies


def test_default_internal_user_params() -> None:
    defaults = msgspec.convert(
        {"user_role": "internal_user", "max_budget": 10, "budget_duration": "1mo"}, SsoUserDefaults
    )
    assert defaults.user_role == "internal_user"
    assert SsoUserDefaults().user_role == "internal_user_viewer"  # LiteLLM's default for SSO users
    for bad in (
        {"user_role": "god"},
        {"budget_duration": "forever"},
        {"available_teams": ["t"]},
        {"max_budget": -1},
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, SsoUserDefaults)


def document(tmp_path: Path, **general: object) -> dict[str, object]:
    settings = {"master_key": "sk-master", "database_url": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"}
    return {"model_list": [], "general_settings": settings | general}


def test_the_start_refuses_sso_it_cannot_serve(tmp_path: Path) -> None:
    env = GENERIC
    config = parse_config(document(tmp_path), source="<test>")
    checked = check_sso(config, env)
    assert checked is not None and checked[1] == SsoUserDefaults()
    for general, reason in (
        ({"master_key": None}, "master_key"),
        ({"disable_admin_ui": True}, "disable_admin_ui"),
    ):
        with pytest.raises(ConfigError, match=reason):
            check_sso(parse_config(document(tmp_path, **general), source="<test>"), env)
    no_store = {"master_key": "sk-m", "embedded_database": False}
    without_db = parse_config({"model_list": [], "general_settings": no_store}, source="<t>")
    with pytest.raises(ConfigError, match="database"):
        check_sso(without_db, env)
    with pytest.raises(ConfigError, match="GENERIC_ISSUER"):
        check_sso(config, {k: v for k, v in env.items() if k != "GENERIC_ISSUER"})
    # default_internal_user_params without SSO would be silently unused: refused
    lonely = document(tmp_path) | {
        "litellm_settings": {"default_internal_user_params": {"user_role": "internal_user"}}
    }
    with pytest.raises(ConfigError, match="default_internal_user_params"):
        check_sso(parse_config(lonely, source="<test>"), {})
    with pytest.raises(ValueError, match="available_teams"):
        parse_config(
            document(tmp_path)
            | {"litellm_settings": {"default_internal_user_params": {"available_teams": []}}},
            source="<test>",
        )
