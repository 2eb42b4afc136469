"""A deployment's TLS settings from its litellm_params, in LiteLLM's spellings: `ssl_verify` — true
(the default: the system's CA store) or the path of a CA bundle; `false` is refused, verification is
never turned off — and `ssl_certificate`, the client certificate for mutual TLS (one PEM file with
the certificate and its private key). Both files are loaded when the deployment is read, so a wrong
path or a file that holds no certificate stops the start naming the field."""

from __future__ import annotations

import ssl
from typing import Any

from llmrelay.transport.tls import tls_context
from llmrelay.types.http import UpstreamTls

TLS_KEYS = ("ssl_verify", "ssl_certificate")


def upstream_tls(verify: Any, certificate: Any) -> tuple[UpstreamTls | None, str | None]:
    """The settings, or None with no error when both are unset; (None, problem) when refused — the
    problem names the key."""
    if verify is False or (isinstance(verify, str) and verify.strip().lower() in ("false", "0", "no")):
        return None, "ssl_verify: TLS verification cannot be turned off; give a CA bundle path instead"
    if verify is not None and not isinstance(verify, str | bool):
        return None, f"ssl_verify: expected true or a CA bundle path, got {verify!r}"
    if certificate is not None and not isinstance(certificate, str):
        return None, "ssl_certificate: expected the path of a PEM file with the certificate and its key"
    bundle = (
        verify if isinstance(verify, str) and verify.strip().lower() not in ("true", "1", "yes") else None
    )
    if bundle is None and certificate is None:
        return None, None
    settings = UpstreamTls(ca_bundle=bundle, client_certificate=certificate)
    try:
        tls_context(settings)
    except (OSError, ssl.SSLError) as exc:
        key = (
            "ssl_certificate" if certificate is not None and _fails_as_certificate(settings) else "ssl_verify"
        )
        return (
            None,
            f"{key}: cannot be loaded ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})",
        )
    return settings, None


def _fails_as_certificate(settings: UpstreamTls) -> bool:
    try:
        tls_context(UpstreamTls(ca_bundle=settings.ca_bundle))
    except (OSError, ssl.SSLError):
        return False
    return True
