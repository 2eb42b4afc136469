"""Provider declarations (llmrelay.providers.declarations): each adapter declares the deployment
parameters it reads and which are secrets; the registry reads them without the adapters, and the
lists elsewhere (config schema, SDK keywords, the gateway's credential fields, the scrubber) are
derived from them, so they cannot disagree."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmrelay.config.schema import PROVIDER_PARAMS
from llmrelay.core.options import CREDENTIAL_PARAMS, take_credentials
from llmrelay.core.scrub import REDACTED, Scrubber
from llmrelay.providers.declarations import NO_PARAMS, ProviderParams
from llmrelay.providers.registry import (
    NATIVE_ADAPTERS,
    ProviderRegistry,
    declared_names,
    declared_params,
    declared_secrets,
)
from llmrelay.proxy.credentials import CREDENTIAL_FIELDS, is_credential_field, without_credentials
from llmrelay.types.deployment import Deployment


@pytest.mark.parametrize("name", ProviderRegistry.known())
def test_the_registry_reads_what_each_adapter_declares(name: str) -> None:
    adapter = ProviderRegistry().get(name)
    assert adapter.deployment_params == declared_params().get(name, NO_PARAMS)


def test_declarations_are_read_without_importing_an_adapter() -> None:
    code = (
        "import sys\n"
        "from llmrelay.providers.registry import declared_params\n"
        "declared_params()\n"
        "print(sorted(m for m in sys.modules if m.endswith('.adapter')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_providers_with_parameters_of_their_own() -> None:
    assert set(declared_params()) == {
        "azure", "bedrock", "huggingface_local", "oci", "sagemaker", "sagemaker_chat", "vertex_ai", "watsonx",
        "watsonx_text",
    }  # fmt: skip
    assert set(declared_params()) <= set(NATIVE_ADAPTERS)
    bedrock = declared_params()["bedrock"]
    assert "aws_secret_access_key" in bedrock.secrets and "aws_profile_name" in bedrock.settings


def test_a_parameter_is_secret_or_not_never_both() -> None:
    with pytest.raises(ValueError, match="both secret and not"):
        ProviderParams(secrets=("x_token",), settings=("x_token",))


def test_the_config_schema_knows_every_declared_parameter() -> None:
    assert set(declared_names()) <= PROVIDER_PARAMS


def test_sdk_keywords_taken_to_the_deployment_are_the_declared_parameters() -> None:
    assert set(CREDENTIAL_PARAMS) == set(declared_names())
    params = {name: f"value-of-{name}" for name in declared_names()} | {"temperature": 0.1}
    taken = take_credentials(params)
    assert taken is not None and set(taken) == set(declared_names())
    assert params == {"temperature": 0.1}


def test_the_gateway_hides_exactly_the_declared_secrets() -> None:
    assert declared_secrets() <= CREDENTIAL_FIELDS
    for name in declared_names():
        assert is_credential_field(name) == (name in declared_secrets()), name
    shown = without_credentials({name: "v" for name in declared_names()})
    assert set(shown) == set(declared_names()) - declared_secrets()


def test_the_scrubber_scrubs_the_declared_secrets_values() -> None:
    for provider, declared in declared_params().items():
        options = {name: f"{name}-value-0123" for name in declared.names}
        scrubber = Scrubber.for_deployment(Deployment(provider=provider, model="m", options=options))
        for name in declared.secrets:
            assert scrubber.text(f"got {name}-value-0123") == f"got {REDACTED}"
        for name in declared.settings:
            assert f"{name}-value-0123" not in scrubber.secrets
