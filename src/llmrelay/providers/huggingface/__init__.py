"""Hugging Face (`huggingface/...`): Inference Providers through the OpenAI-compatible router, and
dedicated Inference Endpoints / TGI servers given as `api_base`."""

from llmrelay.providers.huggingface.adapter import HuggingFaceProvider

__all__ = ["HuggingFaceProvider"]
