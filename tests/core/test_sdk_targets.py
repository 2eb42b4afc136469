"""Where an SDK call goes, remembered per client only where nothing else can change it."""

from __future__ import annotations

from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.sdk.targets import Targets
from llmrelay.types.deployment import Deployment


def resolve(targets: Targets, model: str, **given: object) -> Deployment:
    keywords: dict[str, object] = dict.fromkeys(
        ("provider", "api_key", "api_base", "api_version", "timeout", "extra_headers", "organization",
         "credentials")
    )  # fmt: skip
    keywords.update(given)
    return targets.resolve(model, **keywords).deployment  # type: ignore[arg-type]


def test_a_call_that_names_its_provider_is_resolved_once_per_key() -> None:
    targets = Targets(ProviderRegistry(), Catalog())
    first = resolve(targets, "openai/gpt-4o", api_key="a")
    assert resolve(targets, "openai/gpt-4o", api_key="a") is first
    other_key = resolve(targets, "openai/gpt-4o", api_key="b")
    assert other_key is not first and other_key.api_key == "b"
    assert resolve(targets, "openai/gpt-4o", api_key="a", timeout=5.0).timeout == 5.0


def test_bare_names_headers_and_credentials_are_resolved_every_call() -> None:
    targets = Targets(ProviderRegistry(), Catalog())
    # a bare name is placed by the catalog, which may learn models between calls
    assert resolve(targets, "gpt-4o") is not resolve(targets, "gpt-4o")
    headers = {"x-team": "a"}
    assert resolve(targets, "openai/gpt-4o", extra_headers=headers) is not resolve(
        targets, "openai/gpt-4o", extra_headers=headers
    )
    creds = {"aws_region_name": "eu-west-1"}
    bedrock = resolve(targets, "bedrock/anthropic.claude-3", credentials=creds)
    assert bedrock.options == creds and bedrock is not resolve(
        targets, "bedrock/anthropic.claude-3", credentials=creds
    )


def test_a_keyword_of_no_hashable_type_is_resolved_as_before() -> None:
    targets = Targets(ProviderRegistry(), Catalog())
    odd_key = ["not", "a", "string"]
    assert resolve(targets, "openai/gpt-4o", api_key=odd_key).api_key == odd_key
