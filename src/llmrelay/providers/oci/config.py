"""Where an OCI Generative AI deployment's calls go and what signs them, from its settings (LiteLLM's
`oci_region`, `oci_user`, `oci_fingerprint`, `oci_tenancy`, `oci_key` / `oci_key_file`,
`oci_compartment_id`, `oci_serving_mode`, `oci_endpoint_id`) or LiteLLM's environment variables
(OCI_REGION, OCI_USER, OCI_FINGERPRINT, OCI_TENANCY, OCI_KEY, OCI_KEY_FILE, OCI_COMPARTMENT_ID).

A key given as text signs in `prepare_*`; a key file is read by the engine in a worker thread (a
LocalGrant, never on the event loop) and read again every RELOAD_SECONDS, so a rotated key is picked
up; its text is then the credential `authorize` signs with.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from llmrelay.providers.flows import read_small_file
from llmrelay.providers.grants import AccessToken, SigningKey
from llmrelay.providers.oci import params as p
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError

PROVIDER = "oci"
DEFAULT_REGION = "us-ashburn-1"
API_VERSION = "20231130"
RELOAD_SECONDS = 900.0
_REGION = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV = {
    p.REGION_PARAM: "OCI_REGION", "oci_user": "OCI_USER", "oci_fingerprint": "OCI_FINGERPRINT",
    "oci_tenancy": "OCI_TENANCY", p.KEY_PARAM: "OCI_KEY", p.KEY_FILE_PARAM: "OCI_KEY_FILE",
    p.COMPARTMENT_PARAM: "OCI_COMPARTMENT_ID",
}  # fmt: skip


def setting(deployment: Deployment, name: str) -> str | None:
    value: Any = (deployment.options or {}).get(name)
    if value in (None, ""):
        env = _ENV.get(name)
        value = os.environ.get(env) if env else None
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True, slots=True)
class OciKeyFile:
    """The API key in a file: a LocalGrant whose credential is the key (its id and PEM text)."""

    path: str
    key_id: str

    @property
    def cache_key(self) -> str:
        return "oci-key:" + hashlib.sha256(f"{self.path}|{self.key_id}".encode()).hexdigest()[:24]

    def load(self) -> AccessToken:
        try:
            data = read_small_file(os.path.expanduser(self.path))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise AuthenticationError(f"the OCI key file was not read: {reason}", provider=PROVIDER) from None
        key = SigningKey(key_id=self.key_id, pem=data.decode("utf-8", "replace"))
        return AccessToken(token=key, expires_in=RELOAD_SECONDS)


@dataclass(frozen=True, slots=True)
class OciSigning:
    """Who signs: the key id, and the key's text (given) or its file (read by the engine)."""

    key_id: str
    key_text: str | None = field(default=None, repr=False)
    key_file: OciKeyFile | None = None


def signing(deployment: Deployment) -> OciSigning:
    found = {name: setting(deployment, name) for name in p.IDENTITY_PARAMS}
    key, key_file = setting(deployment, p.KEY_PARAM), setting(deployment, p.KEY_FILE_PARAM)
    missing = [name for name, value in found.items() if not value]
    if not (key or key_file):
        missing.append("oci_key or oci_key_file")
    if missing:
        raise AuthenticationError(
            f"OCI request signing needs {', '.join(missing)} (or OCI_USER, OCI_FINGERPRINT, OCI_TENANCY, "
            "OCI_KEY / OCI_KEY_FILE)",
            provider=PROVIDER,
            model=deployment.model,
        )
    key_id = f"{found['oci_tenancy']}/{found['oci_user']}/{found['oci_fingerprint']}"
    if key:
        return OciSigning(key_id=key_id, key_text=key)
    assert key_file is not None
    return OciSigning(key_id=key_id, key_file=OciKeyFile(key_file, key_id))


def chat_url(deployment: Deployment) -> str:
    """api_base (an `/20231130/actions/...` suffix taken off), else the region's inference endpoint."""
    if deployment.api_base:
        base = re.sub(rf"/{API_VERSION}/actions/[A-Za-z]+/?$", "", deployment.api_base.rstrip("/"))
    else:
        region = setting(deployment, p.REGION_PARAM) or DEFAULT_REGION
        if not _REGION.match(region):
            raise BadRequestError(
                f"oci_region {region[:40]!r} is not a region name (e.g. us-chicago-1)",
                provider=PROVIDER, model=deployment.model, param=p.REGION_PARAM,
            )  # fmt: skip
        base = f"https://inference.generativeai.{region}.oci.oraclecloud.com"
    return f"{base.rstrip('/')}/{API_VERSION}/actions/chat"


def serving_mode(deployment: Deployment) -> dict[str, str]:
    mode = (setting(deployment, p.SERVING_MODE_PARAM) or "ON_DEMAND").upper()
    if mode == "ON_DEMAND":
        return {"servingType": "ON_DEMAND", "modelId": deployment.model}
    if mode == "DEDICATED":
        return {"servingType": "DEDICATED",
                "endpointId": setting(deployment, p.ENDPOINT_ID_PARAM) or deployment.model}  # fmt: skip
    raise BadRequestError(
        "oci_serving_mode must be ON_DEMAND or DEDICATED", provider=PROVIDER, model=deployment.model,
        param=p.SERVING_MODE_PARAM,
    )  # fmt: skip


def compartment(deployment: Deployment) -> str:
    found = setting(deployment, p.COMPARTMENT_PARAM)
    if not found:
        raise BadRequestError(
            "OCI chat needs oci_compartment_id (or OCI_COMPARTMENT_ID): the compartment the call is "
            "billed to", provider=PROVIDER, model=deployment.model, param=p.COMPARTMENT_PARAM,
        )  # fmt: skip
    return found
