"""The deployment parameters the OCI Generative AI adapter reads (LiteLLM's names): litellm_params or
SDK keywords, never the request body. Light on purpose: the registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

# the API signing key: its PEM text, or the path of its file
KEY_PARAM = "oci_key"
KEY_FILE_PARAM = "oci_key_file"
# whose key it is, and where the calls go
IDENTITY_PARAMS = ("oci_user", "oci_fingerprint", "oci_tenancy")
REGION_PARAM = "oci_region"
COMPARTMENT_PARAM = "oci_compartment_id"
# ON_DEMAND (the model by id) or DEDICATED (an endpoint of a dedicated AI cluster)
SERVING_MODE_PARAM = "oci_serving_mode"
ENDPOINT_ID_PARAM = "oci_endpoint_id"

OCI_PARAMS = ProviderParams(
    # the key file's path is kept as secret as the key (as vertex_credentials' path is): it points at one
    secrets=(KEY_PARAM, KEY_FILE_PARAM),
    settings=(*IDENTITY_PARAMS, REGION_PARAM, COMPARTMENT_PARAM, SERVING_MODE_PARAM,
              ENDPOINT_ID_PARAM),
)  # fmt: skip
