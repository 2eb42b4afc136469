"""Snowflake Cortex (`snowflake/<model>`): the Cortex REST API's OpenAI-compatible chat endpoint."""

from llmrelay.providers.snowflake.adapter import SnowflakeProvider

__all__ = ["SnowflakeProvider"]
