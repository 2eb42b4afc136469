"""What the gateway needs from a router. The real one is llmrelay.router.Router; tests may pass a fake.

Every proxied call goes through `route` at the end of the gateway's middleware chain (the key gate,
the response cache: proxy/state.py); `call.request.model` is the model group the client asked for."""

from __future__ import annotations

from typing import Any, Protocol

from llmrelay.calls.call import Call


class ModelRouter(Protocol):
    async def route(self, call: Call[Any]) -> Any:
        """The operation's response, or (a streaming operation asked to stream) its stream."""
        ...

    def default_model(self, mode: str) -> str | None:
        """The group a call of `mode` ("moderation", "image_generation") that names no model goes to."""
        ...

    def model_names(self) -> list[str]: ...

    def alias_target(self, model: str) -> str | None:
        """The model group an alias (router_settings.model_group_alias) stands for, or None."""
        ...

    def deployments(self, model_name: str | None = None) -> list[Any]: ...

    async def count_message_tokens(
        self, model: str, body: dict[str, Any], betas: list[str] | None
    ) -> int | None:
        """The provider's own input-token count of an Anthropic Messages body, or None to estimate."""

    def health(self) -> list[dict[str, Any]]: ...

    def add_callback(self, callback: Any) -> None: ...

    async def aclose(self) -> None: ...
