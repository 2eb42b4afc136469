"""The admin dashboard served at /ui: fixed static files (HTML, CSS, ES modules) that talk to the
admin API from the browser. No build step; nothing here is on the proxy's hot path."""

from llmrelay.proxy.ui.routes import UiRoutes

__all__ = ["UiRoutes"]
