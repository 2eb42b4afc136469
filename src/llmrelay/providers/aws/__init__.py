"""What the AWS providers (Bedrock, SageMaker) share: the credentials chain (chain.py) with its
sources — static keys, the shared AWS files, STS assume-role and web identity (sts.py), ECS container
and EC2 instance metadata (metadata.py) — and SigV4 signing (signing.py). Sans-IO: the engine does
every network and file step (llmrelay.providers.grants.CredentialFlow)."""
