"""Secrets in config.yaml: `os.environ/NAME` (an environment variable, or a secret manager's secret
when `general_settings.key_management_system` is set), `os.file/PATH` (a file read once at
startup), and the secret managers themselves (AWS Secrets Manager, HashiCorp Vault KV v2)."""

from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.references import ENV_PREFIX, FILE_PREFIX, SecretResolver

__all__ = ["ENV_PREFIX", "FILE_PREFIX", "SecretError", "SecretResolver"]
