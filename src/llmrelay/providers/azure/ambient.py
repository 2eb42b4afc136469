"""Which secretless Azure identity a deployment authenticates with (providers/azure/identity.py),
read from the deployment and the environment on the event loop (no I/O).

The deployment's own settings first: `tenant_id` + `client_id` without a `client_secret` is workload
identity (the federated token in AZURE_FEDERATED_TOKEN_FILE); `client_id` alone is that user-assigned
managed identity. Then, when nothing else in the deployment or the environment gave credentials (keys,
tokens, an app registration's secret: adapter.py), the environment, with LiteLLM's AZURE_CREDENTIAL
naming the azure-identity credential to use (or the deployment's `azure_identity`, which
`litellm_settings.enable_azure_ad_token_refresh: true` sets to DefaultAzureCredential):

- unset: workload identity when AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are
  set (AKS sets them); else the App Service identity when IDENTITY_ENDPOINT and IDENTITY_HEADER are
  set (the platform sets them); else AZURE_CLIENT_ID alone is a user-assigned managed identity on IMDS
  (LiteLLM's inference); else none;
- `ManagedIdentityCredential`: the App Service identity, else IMDS (AZURE_CLIENT_ID: user-assigned);
- `WorkloadIdentityCredential`: workload identity, its three variables required;
- `DefaultAzureCredential`, `DeploymentIdentityCredential`: workload identity, else the App Service
  identity, else IMDS — the secretless links of azure-identity's chain (its developer-tool links,
  Azure CLI and the like, are not taken);
- `ClientSecretCredential`: the app registration of AZURE_TENANT_ID / AZURE_CLIENT_ID /
  AZURE_CLIENT_SECRET (adapter.py), so reaching here means one is missing;
- anything else is refused by name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from llmrelay.providers.azure.identity import (
    IMDS_HOST,
    ManagedIdentity,
    WorkloadIdentity,
    checked_authority,
    resource_of,
)
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError

PROVIDER = "azure"
DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
_CHAINS = ("DefaultAzureCredential", "DeploymentIdentityCredential")

Identity = ManagedIdentity | WorkloadIdentity


def scope_of(deployment: Deployment) -> str:
    return str((deployment.options or {}).get("azure_scope") or DEFAULT_SCOPE)


def authority_of(deployment: Deployment, env: Mapping[str, str]) -> str:
    options = deployment.options or {}
    authority = options.get("azure_authority_host") or env.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY
    return checked_authority(str(authority))


def deployment_identity(deployment: Deployment, environ: Mapping[str, str] | None = None) -> Identity | None:
    """The identity the deployment's tenant_id / client_id name without a client_secret."""
    options = deployment.options or {}
    env = os.environ if environ is None else environ
    if options.get("client_secret"):
        return None  # an app registration: entra.py
    tenant, client = options.get("tenant_id"), options.get("client_id")
    if not client:
        if tenant:
            raise _error("tenant_id needs client_id (and client_secret, or AZURE_FEDERATED_TOKEN_FILE)")
        return None
    if tenant:
        token_file = env.get("AZURE_FEDERATED_TOKEN_FILE")
        if not token_file:
            raise _error(
                "tenant_id and client_id without client_secret is workload identity: it needs "
                "AZURE_FEDERATED_TOKEN_FILE (or give client_secret for an app registration)"
            )
        return _workload(deployment, env, str(tenant), str(client), token_file)
    return _managed(deployment, env, str(client))


def ambient_identity(deployment: Deployment, environ: Mapping[str, str] | None = None) -> Identity | None:
    """The identity the environment gives (see the module's docstring), or None."""
    env = os.environ if environ is None else environ
    own = (deployment.options or {}).get("azure_identity")
    wanted = str(own) if own else env.get("AZURE_CREDENTIAL") or None
    tenant, client, token_file = (
        env.get("AZURE_TENANT_ID"),
        env.get("AZURE_CLIENT_ID"),
        env.get("AZURE_FEDERATED_TOKEN_FILE"),
    )
    workload_ready = bool(tenant and client and token_file)
    if wanted is None:
        if workload_ready:
            return _workload(deployment, env, str(tenant), str(client), str(token_file))
        if env.get("IDENTITY_ENDPOINT"):
            return _managed(deployment, env, client)
        return _managed(deployment, env, client) if client else None
    if wanted == "ManagedIdentityCredential":
        return _managed(deployment, env, client)
    if wanted == "WorkloadIdentityCredential" or (wanted in _CHAINS and workload_ready):
        if not workload_ready:
            missing = [n for n, v in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client),
                                      ("AZURE_FEDERATED_TOKEN_FILE", token_file)) if not v]  # fmt: skip
            raise _error(f"AZURE_CREDENTIAL=WorkloadIdentityCredential needs {', '.join(missing)}")
        return _workload(deployment, env, str(tenant), str(client), str(token_file))
    if wanted in _CHAINS:
        return _managed(deployment, env, client)
    if wanted == "ClientSecretCredential":
        raise _error(
            "AZURE_CREDENTIAL=ClientSecretCredential needs AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            "AZURE_CLIENT_SECRET"
        )
    raise _error(
        f"AZURE_CREDENTIAL={wanted[:60]!r} is not supported: use ManagedIdentityCredential, "
        "WorkloadIdentityCredential, DefaultAzureCredential, DeploymentIdentityCredential or "
        "ClientSecretCredential"
    )


def _workload(
    deployment: Deployment, env: Mapping[str, str], tenant: str, client: str, file: str
) -> Identity:
    return WorkloadIdentity(tenant_id=tenant, client_id=client, token_file=file, scope=scope_of(deployment),
                            authority=authority_of(deployment, env))  # fmt: skip


def _managed(deployment: Deployment, env: Mapping[str, str], client: Any) -> Identity:
    endpoint, header = env.get("IDENTITY_ENDPOINT"), env.get("IDENTITY_HEADER")
    resource = resource_of(scope_of(deployment))
    if endpoint and header:
        return ManagedIdentity(resource=resource, client_id=client or None, endpoint=endpoint,
                               endpoint_header=header)  # fmt: skip
    if endpoint:
        # Azure Arc and Service Fabric set IDENTITY_ENDPOINT with another handshake (not written)
        raise _error("IDENTITY_ENDPOINT without IDENTITY_HEADER (Azure Arc, Service Fabric) is not supported")
    host = env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") or IMDS_HOST
    host = host if "://" in host else "http://" + host
    return ManagedIdentity(resource=resource, client_id=client or None, imds_host=host)


def _error(message: str) -> AuthenticationError:
    return AuthenticationError(f"Azure identity: {message}", provider=PROVIDER)
