"""AWS Bedrock (`bedrock/<modelId>`, `bedrock/converse/<modelId>`): chat through the Bedrock Runtime
Converse and ConverseStream APIs, embeddings (Titan, Cohere) through InvokeModel; SigV4 or Bedrock API
key (bearer) authentication."""

from llmrelay.providers.bedrock.adapter import BedrockProvider

__all__ = ["BedrockProvider"]
