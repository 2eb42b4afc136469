"""Databricks Model Serving (`databricks/<serving endpoint>`): OpenAI's chat and embeddings API under
`{workspace}/serving-endpoints`, with content blocks where its Claude and reasoning models send them."""

from llmrelay.providers.databricks.adapter import DatabricksProvider

__all__ = ["DatabricksProvider"]
