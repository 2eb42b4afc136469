"""TLS contexts for upstreams with settings of their own (types/http.py `UpstreamTls`): a CA bundle
to verify the server against, a client certificate to present. Built once per distinct setting and
kept (a context loads its files when built, not per connection). Verification is never turned off:
the bundle replaces the system's CA store, hostname checks stay on."""

from __future__ import annotations

import ssl
from functools import lru_cache

from llmrelay.types.http import UpstreamTls


@lru_cache(maxsize=64)
def tls_context(settings: UpstreamTls) -> ssl.SSLContext:
    """Raises OSError (a missing file) or ssl.SSLError (a file that is no PEM certificate/key)."""
    context = ssl.create_default_context(cafile=settings.ca_bundle)
    if settings.client_certificate is not None:
        context.load_cert_chain(settings.client_certificate)
    return context
