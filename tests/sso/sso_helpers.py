"""What the SSO tests share: the real OpenID Provider (node tests/sso/node/provider.mjs, the npm
`oidc-provider` package) as a child process, a gateway configured for it (LiteLLM's GENERIC_*
variables), and an HTTP client that walks the sign-in's redirects the way a browser does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing.gateway import GatewayThread
from llmrelay.testing.ports import free_port

NODE_DIR = Path(__file__).parent / "node"
CLIENT_ID = "llmrelay-dashboard"
CLIENT_SECRET = "sso-test-client-secret-0123456789"
MASTER_KEY = "sk-sso-test-master-key"
# `make test` sets it after installing Chromium and the provider: then a missing piece fails the
# tests instead of skipping them
SETUP_RAN = os.environ.get("LLMRELAY_SSO_SETUP") == "1"


def missing(what: str) -> None:
    """Skip, or fail when the Makefile's setup ran (then nothing may be missing)."""
    if SETUP_RAN:
        pytest.fail(f"{what} (the setup `make test-setup` should have installed it)")
    pytest.skip(f"{what}: run `make test-setup`")


class OpenIdProvider:
    """node provider.mjs on a free port; its client redirects to `redirect_uri`."""

    def __init__(self, redirect_uri: str) -> None:
        node = shutil.which("node")
        if node is None:
            missing("node is not installed")
        if not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
            missing(f"the oidc-provider package is not installed in {NODE_DIR}")
        assert node is not None
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PORT": str(self.port),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": redirect_uri,
        }
        self.process = subprocess.Popen(
            [node, "provider.mjs"],
            cwd=NODE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.output: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                if line.startswith("listening "):
                    ready.set()

        threading.Thread(target=read, name="oidc-provider-output", daemon=True).start()
        if not ready.wait(30):
            self.stop()
            raise RuntimeError("the OpenID provider did not start:\n" + "".join(self.output))

    async def set_account(
        self, sub: str, email: str, *, role: str | None = None, username: str | None = None
    ) -> None:
        account = {"sub": sub, "email": email, "preferred_username": username or sub, "role": role}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.issuer}/test/account", data=json.dumps(account)) as reply,
        ):
            assert reply.status == 204

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def sso_environment(provider: OpenIdProvider, gateway_port: int) -> dict[str, str]:
    """LiteLLM's generic provider variables, and llmrelay's GENERIC_ISSUER."""
    return {
        "GENERIC_CLIENT_ID": CLIENT_ID,
        "GENERIC_CLIENT_SECRET": CLIENT_SECRET,
        "GENERIC_ISSUER": provider.issuer,
        "PROXY_BASE_URL": f"http://127.0.0.1:{gateway_port}",
    }


def sso_document(database_url: str, directory: Path, **litellm_settings: Any) -> dict[str, Any]:
    upstream = {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1", "api_key": "sk-up"}
    models = [{"model_name": "gpt-4o-mini", "litellm_params": upstream}]
    return {
        "model_list": models,
        "litellm_settings": litellm_settings,
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": database_url,
            "spend_spool_dir": str(directory / "spool"),
        },
    }


class SsoGateway(GatewayThread):
    """A gateway on a port chosen before it is built (the provider must know its callback)."""

    def __init__(self, document: dict[str, Any], port: int, environ: Mapping[str, str]) -> None:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        from llmrelay.proxy.server import build_app

        saved = {name: os.environ.get(name) for name in environ}
        os.environ.update(environ)
        try:
            app = build_app(parse_config(document, source="<test>"))
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        super().__init__(app, name="sso-gateway")
        self.port = port
        self.server = Server(
            app, address="127.0.0.1", port=port, interface=Interfaces.RSGI, log_enabled=False
        )


@contextmanager
def running(gateway: SsoGateway) -> Iterator[SsoGateway]:
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


# a test's gateway maker (the make_gateway fixture of conftest.py)
GatewayFactory = Callable[..., AbstractContextManager[SsoGateway]]


def browser_like() -> aiohttp.ClientSession:
    # the jar keeps cookies of IP-address hosts too (aiohttp's default jar drops them)
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def walk_to_callback(http: aiohttp.ClientSession, url: str, gateway_url: str) -> str:
    """Follow redirects from `url` as a browser would, up to the gateway's /sso/callback (not
    requested): its URL."""
    for _ in range(10):
        async with http.get(url, allow_redirects=False) as reply:
            location = reply.headers.get("location")
            assert reply.status in (302, 303), f"{url} answered {reply.status}: {await reply.text()}"
        assert location is not None
        url = urljoin(url, location)
        if url.startswith(gateway_url + "/sso/callback"):
            return url
    raise AssertionError("the sign-in never came back to the gateway")


async def sign_in(http: aiohttp.ClientSession, gateway_url: str) -> aiohttp.ClientResponse:
    """The whole sign-in: /sso/key/generate, the provider, the callback; the callback's answer."""
    callback = await walk_to_callback(http, gateway_url + "/sso/key/generate", gateway_url)
    async with http.get(callback, allow_redirects=False) as reply:
        await reply.read()
        return reply


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
