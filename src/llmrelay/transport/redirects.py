"""Which upstream redirects the transport follows: only to the same origin.

aiohttp, left to itself, follows redirects anywhere and strips only `Authorization` on the way, so an
upstream (or whoever answers in its place) saying `307 Location: http://other-host/` would receive
the prompt with `x-api-key`, `api-key` or `x-goog-api-key`. A redirect within the origin the request
was sent to carries nothing new away (a self-hosted server adding a trailing slash); any other is an
upstream error, whose message never repeats the Location (it may carry a token in its query)."""

from __future__ import annotations

from yarl import URL

from llmrelay.types.errors import BadGatewayError

# hops followed within one origin before the answer counts as a loop
MAX_SAME_ORIGIN_REDIRECTS = 3
# statuses that keep the method and the body; the others turn a POST into a body-less GET
_METHOD_KEEPING = frozenset({307, 308})
_BODYLESS_METHODS = frozenset({"GET", "HEAD"})


class UpstreamRedirectError(BadGatewayError):
    """An upstream answered with a redirect the transport does not follow. Configuration, not load:
    retrying the same deployment gives the same answer, another deployment may answer."""

    retryable = False


def is_redirect(status: int) -> bool:
    return 300 <= status < 400


def next_hop(status: int, method: str, current: URL, location: str | None, hops: int) -> URL:
    """The URL to send the request to again after a `status` answer, or UpstreamRedirectError."""
    if hops >= MAX_SAME_ORIGIN_REDIRECTS:
        raise UpstreamRedirectError(f"upstream redirected more than {MAX_SAME_ORIGIN_REDIRECTS} times")
    if not location:
        raise UpstreamRedirectError(f"upstream answered {status} without a place to go (not followed)")
    try:
        target = current.join(URL(location))
    except ValueError as exc:
        raise UpstreamRedirectError(f"upstream answered {status} with an unreadable Location") from exc
    if _origin(target) != _origin(current):
        raise UpstreamRedirectError(
            f"upstream answered {status}, a redirect to another origin: not followed, as it would "
            "carry the request's credentials there (set the deployment's api_base to the final URL)"
        )
    if status not in _METHOD_KEEPING and method.upper() not in _BODYLESS_METHODS:
        raise UpstreamRedirectError(
            f"upstream answered {status} to a {method.upper()}: a redirect that drops the request "
            "body is not followed"
        )
    return target


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme.lower(), (url.host or "").lower(), url.port)
