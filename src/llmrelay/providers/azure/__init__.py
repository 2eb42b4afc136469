"""Azure OpenAI (`azure/<deployment>`): the OpenAI adapter with Azure's URLs, credentials and
content-filter annotations."""

from llmrelay.providers.azure.adapter import AzureOpenAI

__all__ = ["AzureOpenAI"]
