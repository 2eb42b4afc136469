"""Which request paths the gateway routes: the one normalisation policy (docs/security.md,
"Connections, paths and request bodies").

Granian percent-decodes the path before any application code sees it (`/%6bey/list` arrives as
`/key/list`; `%2F` arrives as `/`) and keeps no raw copy, so llmrelay routes on the decoded path and
cannot tell an encoded letter from a plain one. What it can see, it refuses rather than repairs: a
path is routed only when it is already canonical — it starts with `/`, has no empty segment (`//`), no
`.` or `..` segment (written plainly or as `%2e`), no trailing `/`, no control character or
backslash, and is at most MAX_PATH_CHARS long. Repairing in place (stripping the slash, resolving
the dots) is what let a request reach a route a front proxy's rule on the raw path did not name.

The one exception is a trailing `/` on an otherwise canonical path: it is answered with a 308
redirect to the path without it (as FastAPI, LiteLLM's framework, does), so the client's next request
passes the front proxy again under the canonical path; a browser opening `/ui/` lands on `/ui`."""

from __future__ import annotations

import re

from llmrelay.types.errors import BadRequestError

MAX_PATH_CHARS = 2048
_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x1f\x7f\\]")


def path_problem(path: str) -> str | None:
    """Why `path` (as decoded by the server) is not canonical, or None when it is."""
    if not path.startswith("/"):
        return "does not start with '/'"
    if len(path) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS} characters"
    if _CONTROL_OR_BACKSLASH.search(path):
        return "contains a control character or a backslash"
    if path == "/":
        return None
    if path.endswith("/"):
        return "ends with '/'"
    segments = path[1:].split("/")
    if "" in segments:
        return "has an empty segment ('//')"
    if "." in segments or ".." in segments:
        return "has a '.' or '..' segment"
    return None


def slash_redirect(path: str) -> str | None:
    """The canonical path a path with trailing slashes redirects to, or None when removing them does
    not give a canonical path (`//evil.example/` must never become a protocol-relative Location)."""
    if len(path) < 2 or not path.endswith("/"):
        return None
    target = path.rstrip("/")
    return target if target and path_problem(target) is None else None


def check_path(path: str) -> None:
    """Raise a 400 naming the problem when `path` is not canonical (see the module's docstring)."""
    problem = path_problem(path)
    if problem is not None:
        shown = path if len(path) <= 200 else path[:200] + "…"
        raise BadRequestError(
            f"request path {shown!r} {problem}: only canonical paths are routed", code="invalid_path"
        )
