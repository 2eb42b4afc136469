"""config.yaml loading (LiteLLM's schema) and the gateway's settings."""

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig, load_config, parse_config
from llmrelay.config.schema import GeneralSettings

__all__ = ["ConfigError", "GatewayConfig", "GeneralSettings", "load_config", "parse_config"]
