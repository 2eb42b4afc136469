"""Replicate (`replicate/<owner>/<model>[:<version>]`): language models run as predictions."""

from llmrelay.providers.replicate.adapter import ReplicateProvider

__all__ = ["ReplicateProvider"]
