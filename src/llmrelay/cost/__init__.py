"""Prices, context windows and capabilities from a catalog data file; cost in integer micro-USD."""

from llmrelay.cost.catalog import Catalog, ModelInfo
from llmrelay.cost.pricing import cost_micros, cost_picos

__all__ = ["Catalog", "ModelInfo", "cost_micros", "cost_picos"]
