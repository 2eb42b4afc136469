"""Bedrock's InvokeModel with each model family's native body (`bedrock/invoke/<modelId>`): Anthropic's
Messages (anthropic_version bedrock-2023-05-31), Amazon Nova's messages-v1, and the text-prompt
bodies of Meta Llama, Mistral and Amazon Titan Text; streams through InvokeModelWithResponseStream."""
