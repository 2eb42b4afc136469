"""The dashboard's files: a fixed table of names read once from the package data, each with its
content type and ETag. Only names in ASSET_TYPES are ever served, so no request path reaches the
file system."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
SVG = "image/svg+xml"

# every file the dashboard has, by its name under /ui/ (index.html is the page at /ui itself)
ASSET_TYPES: dict[str, str] = {
    "index.html": HTML,
    "app.css": CSS,
    "favicon.svg": SVG,
    "app.js": JS,
    "api.js": JS,
    "dom.js": JS,
    "chart.js": JS,
    "view_models.js": JS,
    "view_keys.js": JS,
    "view_teams.js": JS,
    "view_users.js": JS,
    "view_end_users.js": JS,
    "view_spend.js": JS,
    "view_audit.js": JS,
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets() -> dict[str, Asset]:
    """Every asset's bytes, read from the installed package (a missing file is a packaging bug and
    fails the gateway's start, not a request)."""
    folder = resources.files("llmrelay.proxy.ui").joinpath("static")
    assets = {}
    for name, content_type in ASSET_TYPES.items():
        body = folder.joinpath(name).read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:20]
        assets[name] = Asset(body=body, content_type=content_type, etag=f'"{digest}"')
    return assets
