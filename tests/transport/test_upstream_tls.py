"""TLS to upstreams with settings of their own (LiteLLM's `ssl_verify` as a CA bundle path and
`ssl_certificate`, per deployment or in litellm_settings), against the OpenAI simulator served over
TLS by a CA made in the test and requiring a client certificate it signed (mutual TLS): with both the
call is answered; without the client certificate the server refuses the handshake; without the CA
the gateway refuses the server; verification can never be turned off; a bad path stops the start
naming the field."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.router import Router
from llmrelay.router.deployments import ModelListError
from llmrelay.testing import SimulatorThread
from llmrelay.testing.runner import SimulatorGroup
from llmrelay.testing.tls import Issued, LocalCA
from llmrelay.types.errors import APIConnectionError, BadRequestError

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def client_cert(ca: LocalCA) -> Issued:
    return ca.issue("gateway-client", client=True)


@pytest.fixture(scope="module")
def mtls_sims(ca: LocalCA) -> Iterator[SimulatorGroup]:
    server = ca.issue("upstream")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca.cert))
    context.load_cert_chain(str(server.cert), str(server.key))
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate signed by the CA: no handshake
    with SimulatorThread(["openai"], ssl_context=context) as group:
        yield group


def entry(sims: SimulatorGroup, **params: Any) -> dict[str, Any]:
    sim = sims.openai
    assert sim.api_base.startswith("https://")
    return {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": sim.api_base,
                                                   "api_key": sim.api_key, **params}}  # fmt: skip


async def ask(model_list: list[dict[str, Any]], **kwargs: Any) -> Any:
    router = Router(model_list=model_list, num_retries=0, **kwargs)
    try:
        return await router.acompletion(model="m", messages=HELLO)
    finally:
        await router.aclose()


async def test_a_deployment_with_the_ca_and_a_client_certificate_is_answered(
    mtls_sims: SimulatorGroup, ca: LocalCA, client_cert: Issued
) -> None:
    answer = await ask([entry(mtls_sims, ssl_verify=str(ca.cert), ssl_certificate=str(client_cert.both))])
    assert answer.choices[0].message.content


async def test_without_the_client_certificate_or_the_ca_the_call_fails(
    mtls_sims: SimulatorGroup, ca: LocalCA, client_cert: Issued
) -> None:
    with pytest.raises(APIConnectionError):
        await ask([entry(mtls_sims, ssl_verify=str(ca.cert))])
    with pytest.raises(APIConnectionError):  # the system's CA store does not know the test CA
        await ask([entry(mtls_sims, ssl_certificate=str(client_cert.both))])


async def test_litellm_settings_give_every_deployment_its_tls(
    mtls_sims: SimulatorGroup, ca: LocalCA, client_cert: Issued
) -> None:
    document = {
        "model_list": [entry(mtls_sims)],
        "litellm_settings": {"ssl_verify": str(ca.cert), "ssl_certificate": str(client_cert.both)},
    }
    config = parse_config(document, source="c.yaml", environ={})
    assert config.warnings == []
    kwargs = config.router_kwargs()
    answer = await ask(kwargs.pop("model_list"), **{k: v for k, v in kwargs.items() if k != "num_retries"})
    assert answer.choices[0].message.content


async def test_the_sdk_takes_the_same_keywords(
    mtls_sims: SimulatorGroup, ca: LocalCA, client_cert: Issued
) -> None:
    import llmrelay

    sim = mtls_sims.openai
    call = {
        "model": "openai/gpt-4o-mini",
        "messages": HELLO,
        "api_base": sim.api_base,
        "api_key": sim.api_key,
    }
    answer = await llmrelay.acompletion(
        **call, ssl_verify=str(ca.cert), ssl_certificate=str(client_cert.both)
    )
    assert answer.choices[0].message.content
    # never sent as body fields: the simulator saw no ssl_* in what it was asked
    assert not {"ssl_verify", "ssl_certificate"} & set(sim.requests.last.body)
    with pytest.raises(BadRequestError) as off:
        await llmrelay.acompletion(**call, ssl_verify=False)
    assert off.value.param == "ssl_verify"


def test_verification_cannot_be_turned_off_and_bad_files_name_the_field(tmp_path: Path, ca: LocalCA) -> None:
    with pytest.raises(ConfigError, match=r"litellm_settings.*cannot be turned off"):
        parse_config(
            {"model_list": [], "litellm_settings": {"ssl_verify": False}}, source="c.yaml", environ={}
        )
    model = {"model": "openai/gpt-4o-mini", "api_key": "k"}
    with pytest.raises(ModelListError) as off:
        Router(model_list=[{"model_name": "m", "litellm_params": {**model, "ssl_verify": False}}])
    assert off.value.path == "model_list[0].litellm_params.ssl_verify"
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ModelListError) as bundle:
        Router(model_list=[{"model_name": "m", "litellm_params": {**model, "ssl_verify": missing}}])
    assert bundle.value.path == "model_list[0].litellm_params.ssl_verify"
    not_a_cert = tmp_path / "junk.pem"
    not_a_cert.write_text("junk")
    with pytest.raises(ModelListError) as cert:
        params = {**model, "ssl_verify": str(ca.cert), "ssl_certificate": str(not_a_cert)}
        Router(model_list=[{"model_name": "m", "litellm_params": params}])
    assert cert.value.path == "model_list[0].litellm_params.ssl_certificate"
