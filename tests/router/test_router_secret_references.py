"""The SDK Router resolves a model_list's secret references as the gateway's config does: a reference
left unresolved would go to the provider as the key itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from router_upstream import Upstream

from llmrelay.router import Router
from llmrelay.router.deployments import ModelListError

MESSAGES = [{"role": "user", "content": "hi"}]


def _deployment(upstream: Upstream, api_key: str) -> dict[str, object]:
    params = {"model": "openai/gpt-4o-mini", "api_key": api_key, "api_base": upstream.base("a")}
    return {"model_name": "gpt", "litellm_params": params, "model_info": {"id": "a"}}


async def test_os_file_reference_sends_the_file_content(upstream: Upstream, tmp_path: Path) -> None:
    secret = tmp_path / "openai-key"
    secret.write_text("sk-from-a-file\n")
    router = Router(model_list=[_deployment(upstream, f"os.file/{secret}")])
    try:
        await router.acompletion(model="gpt", messages=MESSAGES)
    finally:
        await router.aclose()
    assert upstream.authorizations["a"] == ["Bearer sk-from-a-file"]


async def test_os_environ_reference_sends_the_variable(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_TEST_KEY", "sk-from-the-env")
    router = Router(model_list=[_deployment(upstream, "os.environ/ROUTER_TEST_KEY")])
    try:
        await router.acompletion(model="gpt", messages=MESSAGES)
    finally:
        await router.aclose()
    assert upstream.authorizations["a"] == ["Bearer sk-from-the-env"]


def test_a_missing_secret_file_is_refused_naming_the_field(upstream: Upstream, tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(ModelListError) as caught:
        Router(model_list=[_deployment(upstream, f"os.file/{missing}")])
    assert "model_list[0].litellm_params.api_key" in str(caught.value)
    assert str(missing) in str(caught.value)
