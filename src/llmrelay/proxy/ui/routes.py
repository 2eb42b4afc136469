"""GET /ui and GET /ui/<asset>: one exact route per file, so the gateway's route table (a dict) does
the matching and the proxy routes pay nothing for the dashboard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llmrelay.calls.principal import Principal
from llmrelay.proxy.http import Request
from llmrelay.proxy.ui.assets import Asset, load_assets

Handler = Callable[[Request, Principal], Awaitable[None]]
PAGE_PATH = "/ui"

# The page runs only its own files: no inline script or style, no other origin, no framing, and
# Trusted Types with no policy, so an HTML-parsing sink (innerHTML...) throws instead of rendering.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    # revalidate every time (cheap: a 304 by ETag), so an upgraded gateway never serves stale files
    ("cache-control", "no-cache"),
)


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    # If-None-Match compares weakly: W/"x" matches "x"
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class UiRoutes:
    """The dashboard's routes; its files are read once, when the gateway app is built."""

    def __init__(self) -> None:
        self._assets = load_assets()

    def routes(self) -> list[tuple[str, Handler, str]]:
        """(path, handler, the content type it answers) of the page and each of its files."""
        table = [(PAGE_PATH, "index.html")]
        table += [(f"{PAGE_PATH}/{name}", name) for name in self._assets if name != "index.html"]
        return [
            (path, self._handler(self._assets[name]), self._assets[name].content_type) for path, name in table
        ]

    @staticmethod
    def _handler(asset: Asset) -> Handler:
        headers = [("content-type", asset.content_type), ("etag", asset.etag), *SECURITY_HEADERS]

        async def serve(req: Request, principal: Principal) -> None:
            req.started = True
            if _etag_matches(req.header("if-none-match"), asset.etag):
                req.proto.response_bytes(
                    304, [*headers[1:], *req.response_headers, req.overhead_header()], b""
                )
                return
            req.proto.response_bytes(
                200, [*headers, *req.response_headers, req.overhead_header()], asset.body
            )

        return serve
