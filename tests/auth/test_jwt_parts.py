"""The parts of JWT auth without a gateway: the settings (every LiteLLM field implemented or refused by
name, typos refused), the startup checks, the JWKS document's bounds, the token checks per key type
(Ed25519 included), the identity mapping and the route groups."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from jwt_helpers import AUDIENCE, ISSUER, JwksServer, SigningKey

from llmrelay.auth.jwks import MAX_KEYS_PER_URL, JwksKeys, allowed_algorithms, parse_jwks
from llmrelay.auth.jwt_identity import IdentityMapper
from llmrelay.auth.jwt_routes import route_rule
from llmrelay.auth.jwt_settings import UNSUPPORTED, JwtAuthSettings
from llmrelay.auth.jwt_tokens import TokenVerifier, UnknownKeyId
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.proxy.jwt_setup import check_jwt
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError

MODEL = {"model_name": "m", "litellm_params": {"model": "openai/m", "api_key": "k"}}


def load(general: dict[str, Any]) -> Any:
    return parse_config({"model_list": [MODEL], "general_settings": general}, source="c.yaml", environ={})


@pytest.mark.parametrize("field", sorted(UNSUPPORTED))
def test_each_unsupported_litellm_field_is_refused_by_name(field: str) -> None:
    value: Any = (
        ["x"] if field in ("role_mappings", "scope_mappings", "issuers", "jwt_litellm_role_map") else "x"
    )
    with pytest.raises(ConfigError) as refused:
        load({"enable_jwt_auth": True, "litellm_jwtauth": {field: value}})
    assert f"litellm_jwtauth.{field} is not supported by llmrelay" in str(refused.value)


def test_a_typo_and_a_bad_route_group_are_refused() -> None:
    with pytest.raises(ConfigError) as typo:
        load({"enable_jwt_auth": True, "litellm_jwtauth": {"user_id_jwt_feld": "sub"}})
    assert "general_settings.litellm_jwtauth" in str(typo.value) and "user_id_jwt_feld" in str(typo.value)
    with pytest.raises(ConfigError) as group:
        load({"enable_jwt_auth": True, "litellm_jwtauth": {"team_allowed_routes": ["openai_route"]}})
    assert "'openai_route' is neither a path" in str(group.value)
    with pytest.raises(ConfigError) as roles:
        load({"enable_jwt_auth": True, "litellm_jwtauth": {"user_roles_jwt_field": "roles"}})
    assert "user_allowed_roles" in str(roles.value)


def test_startup_names_what_jwt_auth_lacks(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    config = load({"enable_jwt_auth": True, "database_url": url})
    with pytest.raises(ConfigError, match="needs JWT_PUBLIC_KEY_URL"):
        check_jwt(config, {})
    with pytest.raises(ConfigError, match="not an http"):
        check_jwt(config, {"JWT_PUBLIC_KEY_URL": "file:///etc/passwd"})
    with pytest.raises(ConfigError, match="needs a database"):
        check_jwt(
            load({"enable_jwt_auth": True, "embedded_database": False}), {"JWT_PUBLIC_KEY_URL": "http://x"}
        )
    with pytest.raises(ConfigError, match="enable_jwt_auth is not true"):
        check_jwt(load({"litellm_jwtauth": {"user_id_jwt_field": "sub"}}), {})
    settings, environment = check_jwt(config, {"JWT_PUBLIC_KEY_URL": "https://a/j, https://b/j"}) or (
        None,
        None,
    )
    assert environment is not None and environment.public_key_urls == ("https://a/j", "https://b/j")
    assert settings == JwtAuthSettings()


def test_the_jwks_keeps_only_public_signature_keys_within_bounds() -> None:
    rsa, ec = SigningKey("rsa", "r"), SigningKey("ec", "e")
    private = {**rsa.jwk(), "kid": "private", "d": "AQAB"}
    secret = {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"}
    encryption = {**ec.jwk(), "kid": "enc", "use": "enc"}
    mismatched = {**rsa.jwk(), "kid": "says-es256", "alg": "ES256"}
    document = {"keys": [rsa.jwk(), ec.jwk(), private, secret, encryption, mismatched]}
    kept = parse_jwks(json.dumps(document).encode(), "idp")
    assert [kid for kid, _ in kept] == ["r", "e"]
    assert dict(kept)["e"].algorithms == {"ES256"}
    assert allowed_algorithms({"kty": "RSA", "alg": "PS384"}) == {"PS384"}
    assert allowed_algorithms({"kty": "EC", "crv": "P-384"}) == {"ES384"}
    with pytest.raises(ValueError, match="more than"):
        parse_jwks(json.dumps({"keys": [rsa.jwk()] * (MAX_KEYS_PER_URL + 1)}).encode(), "idp")
    with pytest.raises(ValueError, match="not JSON"):
        parse_jwks(b"<html>", "idp")


async def test_tokens_of_each_key_type_and_the_bounded_refetch() -> None:
    keys = [SigningKey("rsa", "r"), SigningKey("ec", "e"), SigningKey("ed", "ed")]
    with JwksServer(keys).running() as server:
        jwks = JwksKeys([server.url], ttl=600, min_refetch_interval=3600)
        await jwks.fetch()
        verifier = TokenVerifier(jwks, audience=AUDIENCE, issuer=ISSUER)
        for key in keys:
            assert verifier.verify(key.token(sub="u"))["sub"] == "u"
        with pytest.raises(UnknownKeyId):
            verifier.verify(SigningKey("ec", "new").token(sub="u"))
        first = jwks.refetch_for_unknown_kid()
        assert first is not None and jwks.refetch_for_unknown_kid() is first  # one in flight
        await first
        assert jwks.refetch_for_unknown_kid() is None  # rate-limited
        assert server.fetches == 2
        await jwks.stop()
    with pytest.raises(AuthenticationError):
        verifier.verify("a" * 20_000)


async def until(condition: Callable[[], bool], deadline: float = 5.0) -> None:
    """Wait for a background task's effect: polls the condition, fails after `deadline` seconds."""
    import asyncio

    async with asyncio.timeout(deadline):
        while not condition():  # noqa: ASYNC110 (the effect has no event to wait on)
            await asyncio.sleep(0.02)


async def test_a_provider_down_at_start_is_retried_and_its_keys_kept_while_down() -> None:

    key = SigningKey("rsa", "r")
    with JwksServer([key]).running() as server:
        server.failing = True
        jwks = JwksKeys([server.url], ttl=0.2, retry_after_failure=0.05)
        await jwks.start()  # does not raise: the gateway serves keys and the master key meanwhile
        assert len(jwks) == 0
        server.failing = False
        await until(lambda: len(jwks) > 0)  # the background loop retried
        server.failing = True  # down again: the keys held stay usable
        fetched = server.fetches
        await until(lambda: server.fetches >= fetched + 2)
        assert jwks.find("r") is not None
        await jwks.stop()


def test_the_identity_follows_litellm_order_and_checks() -> None:
    settings = JwtAuthSettings(
        user_id_jwt_field="sub", team_id_jwt_field="app.team", user_email_jwt_field="email",
        user_allowed_email_domain="corp.com", org_id_jwt_field="org",
    )  # fmt: skip
    mapper = IdentityMapper(settings)
    admin = mapper.identity({"sub": "u", "email": "u@corp.com", "scope": "a litellm_proxy_admin"})
    assert admin.role == "proxy_admin"
    team = mapper.identity({"sub": "u", "email": "u@corp.com", "app": {"team": "t1"}, "org": 7})
    assert (team.role, team.team_id, team.organization_id) == ("team", "t1", "7")
    assert mapper.identity({"sub": "u", "email": "u@corp.com"}).role == "internal_user"
    with pytest.raises(PermissionDeniedError):
        mapper.identity({"sub": "u", "email": "u@evil.com"})
    with pytest.raises(PermissionDeniedError):
        mapper.identity({"sub": "u"})  # no email, and a domain is required
    with pytest.raises(AuthenticationError):
        mapper.identity({"sub": {"nested": "object"}, "email": "u@corp.com"})
    strict = IdentityMapper(JwtAuthSettings(enforce_rbac=True, user_roles_jwt_field="roles",
                                            user_allowed_roles=["llm-user"]))  # fmt: skip
    assert strict.identity({"roles": ["llm-user"]}).role == "internal_user"
    with pytest.raises(PermissionDeniedError):
        strict.identity({"roles": ["viewer"]})
    assert IdentityMapper(JwtAuthSettings()).identity({"sub": "u", "exp": time.time()}).role is None


def test_route_groups() -> None:
    team = route_rule(["openai_routes", "info_routes"])
    assert team.allows("/v1/chat/completions") and team.allows("/chat/completions")
    assert team.allows("/v1/messages") and team.allows("/key/info")
    assert not team.allows("/key/generate") and not team.allows("/spend/logs")
    admin = route_rule(["management_routes", "/custom/*", "/exact"])
    assert admin.allows("/team/new") and admin.allows("/custom/x") and admin.allows("/exact")
    assert not admin.allows("/v1/chat/completions") and not admin.allows("/exactly")
