"""The admin API (keys, users, teams, spend) with LiteLLM's paths and fields."""

from llmrelay.proxy.admin.api import AdminApi

__all__ = ["AdminApi"]
