"""The deployment parameters the SageMaker adapters read: the AWS credential parameters (LiteLLM's
names). Light on purpose: the registry reads it without the adapters."""

from __future__ import annotations

from llmrelay.providers.aws.params import AWS_SECRETS, AWS_SETTINGS
from llmrelay.providers.declarations import ProviderParams

SAGEMAKER_PARAMS = ProviderParams(secrets=AWS_SECRETS, settings=AWS_SETTINGS)
