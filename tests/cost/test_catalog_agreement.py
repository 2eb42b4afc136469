"""The price catalog and the callable providers agree (issue 14): every provider the catalog prices
can be called — under its own prefix or a sibling's — or is listed, with the reason, in
providers/coverage.py; every callable provider has prices in the catalog or says why it has none.
A provider added on either side without a word fails here, naming it."""

from __future__ import annotations

from llmrelay.cost.catalog import SIBLING_PROVIDERS, Catalog
from llmrelay.providers.coverage import UNPRICED_PROVIDERS, UNSERVED_CATALOG_PROVIDERS
from llmrelay.providers.registry import ProviderRegistry


def _catalog_providers() -> set[str]:
    return {info.provider for info in Catalog().data.models.values()}


def _reachable(registry: ProviderRegistry) -> set[str]:
    """Catalog provider names a callable prefix prices its calls from."""
    known = set(registry.known())
    return known | {sibling for name in known for sibling in SIBLING_PROVIDERS.get(name, ())}


def test_every_priced_provider_is_callable_or_says_why_not() -> None:
    registry = ProviderRegistry()
    unexplained = _catalog_providers() - _reachable(registry) - set(UNSERVED_CATALOG_PROVIDERS)
    assert not unexplained, (
        f"priced but not callable, with no reason in providers/coverage.py: {sorted(unexplained)}"
    )


def test_every_callable_provider_has_prices_or_says_why_not() -> None:
    priced = _catalog_providers()
    registry = ProviderRegistry()
    unpriced = {
        name
        for name in registry.known()
        if name not in priced and not priced & set(SIBLING_PROVIDERS.get(name, ()))
    }
    assert unpriced == set(UNPRICED_PROVIDERS), (
        f"unpriced without a reason: {sorted(unpriced - set(UNPRICED_PROVIDERS))}; "
        f"listed as unpriced but priced or gone: {sorted(set(UNPRICED_PROVIDERS) - unpriced)}"
    )


def test_the_unserved_list_names_no_callable_provider() -> None:
    """A provider that became callable leaves the list (the list would otherwise go stale)."""
    registry = ProviderRegistry()
    stale = set(UNSERVED_CATALOG_PROVIDERS) & _reachable(registry)
    assert not stale, stale
    assert set(UNSERVED_CATALOG_PROVIDERS) <= _catalog_providers()
