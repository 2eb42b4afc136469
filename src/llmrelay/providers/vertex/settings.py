"""Where a Vertex AI deployment lives and how it authenticates, from its settings or the environment.

LiteLLM's names: `vertex_project`, `vertex_location`, `vertex_credentials` (litellm_params or SDK
keywords, kept in `Deployment.options`); the environment's VERTEXAI_PROJECT, VERTEXAI_LOCATION and
GOOGLE_APPLICATION_CREDENTIALS (else Application Default Credentials: providers/vertex/adc.py), and
GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT for the project as google-auth reads them. A ready OAuth2 access
token may be given as `api_key` instead of credentials (e.g. `gcloud auth print-access-token`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from llmrelay.providers.paths import path_part
from llmrelay.providers.vertex.adc import GoogleAdc, metadata_host, well_known_file
from llmrelay.providers.vertex.auth import project_of
from llmrelay.providers.vertex.params import CREDENTIALS_PARAMS, LOCATION_PARAMS, PROJECT_PARAMS
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

PROVIDER = "vertex_ai"
DEFAULT_LOCATION = "us-central1"
API_VERSION = "v1"
# LiteLLM's names, then the ones google.auth.default() reads the project from
PROJECT_ENV = ("VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
LOCATION_ENV = ("VERTEXAI_LOCATION", "VERTEX_LOCATION")
CREDENTIALS_ENV = ("GOOGLE_APPLICATION_CREDENTIALS",)


@dataclass(frozen=True, slots=True)
class Placement:
    """The URL prefix of a deployment's models: .../v1/projects/{p}/locations/{l}/publishers/{pub}/models."""

    base: str
    project: str
    location: str

    def model_url(self, publisher: str, model: str, method: str) -> str:
        project = path_part(self.project, provider=PROVIDER, param="vertex_project")
        location = path_part(self.location, provider=PROVIDER, param="vertex_location")
        model_id = path_part(model, provider=PROVIDER, safe="@-_.")
        return (
            f"{self.base}/{API_VERSION}/projects/{project}/locations/{location}"
            f"/publishers/{publisher}/models/{model_id}:{method}"
        )

    def openapi_url(self) -> str:
        """Vertex's OpenAI-compatible chat endpoint for the open models (MaaS): the model is in the body."""
        project = path_part(self.project, provider=PROVIDER, param="vertex_project")
        location = path_part(self.location, provider=PROVIDER, param="vertex_location")
        where = f"{self.base}/{API_VERSION}/projects/{project}/locations/{location}"
        return where + "/endpoints/openapi/chat/completions"


def placement(deployment: Deployment, projects: dict[str, str | None]) -> Placement:
    """`projects` remembers the project_id read from each credentials source (the caller's memo)."""
    options = deployment.options or {}
    where = location(deployment)
    project = _first(options, PROJECT_PARAMS) or _env(PROJECT_ENV)
    if not project:
        source = credentials_source(deployment)
        if source is not None:
            if source not in projects:
                projects[source] = project_of(source)
            project = projects[source]
    if not project:
        raise BadRequestError(
            "Vertex AI needs a project: pass vertex_project= (or set VERTEXAI_PROJECT or "
            "GOOGLE_CLOUD_PROJECT), or use service-account credentials that name their project_id",
            provider=PROVIDER,
            model=deployment.model,
            param="vertex_project",
        )
    return Placement(base=_base(deployment, where), project=project, location=where)


def location(deployment: Deployment) -> str:
    """vertex_location, else VERTEXAI_LOCATION / VERTEX_LOCATION, else the provider's default. It
    names the region even behind an api_base override: it is in every URL's path."""
    return _first(deployment.options or {}, LOCATION_PARAMS) or _env(LOCATION_ENV) or DEFAULT_LOCATION


def _base(deployment: Deployment, location: str) -> str:
    """api_base replaces the host (a trailing /v1 is accepted); else the location's own endpoint."""
    if deployment.api_base:
        return deployment.api_base.rstrip("/").removesuffix("/" + API_VERSION)
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{quote(location, safe='')}-aiplatform.googleapis.com"


def credentials_source(deployment: Deployment) -> str | None:
    """The credentials JSON text or file path: the deployment's, else GOOGLE_APPLICATION_CREDENTIALS."""
    value = _first_any((deployment.options or {}), CREDENTIALS_PARAMS)
    if isinstance(value, dict):
        # a config.yaml may hold the key as a mapping rather than as JSON text
        return json.dumps(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return _env(CREDENTIALS_ENV)


def token_grant(deployment: Deployment) -> GoogleAdc | None:
    """The application-default credentials flow that mints this deployment's tokens (adc.py); None
    when a ready token was given as api_key. Credentials named outright are used alone; else gcloud's
    well-known file, then the metadata server."""
    if deployment.api_key:
        return None
    source = credentials_source(deployment)
    if source is not None:
        return GoogleAdc(source=source, well_known=None, metadata_host=None)
    return GoogleAdc(well_known=well_known_file(), metadata_host=metadata_host())


def _first(options: dict[str, Any], names: tuple[str, ...]) -> str | None:
    value = _first_any(options, names)
    return str(value) if value not in (None, "") else None


def _first_any(options: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = options.get(name)
        if value not in (None, ""):
            return value
    return None


def _env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None
