"""Cloudflare Workers AI (`cloudflare/@cf/<model>`): its own `ai/run` API."""

from llmrelay.providers.cloudflare.adapter import CloudflareProvider

__all__ = ["CloudflareProvider"]
