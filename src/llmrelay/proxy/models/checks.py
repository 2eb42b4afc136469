"""A model or credential sent to the admin API is checked exactly as config.yaml's are: the entry is
put into a config document and read by the config loader, so the same schema, provider and price
checks apply, and what the loader would only warn about (an unknown parameter) is refused here — a
key the gateway would ignore is a 400 naming it, not a surprise later."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.config.schema import GeneralSettings
from llmrelay.types.errors import BadRequestError

SOURCE = "request body"
# model_info keys llmrelay writes itself into what /model/info shows: never taken from a request
OWN_INFO_KEYS = frozenset({"db_model", "created_at", "updated_at", "created_by", "updated_by"})
_ENTRY_PATH = re.compile(r"^model_list\[0\]\.?")
_CREDENTIAL_PATH = re.compile(r"^credential_list\[0\]\.?")


def _accepting(general: GeneralSettings) -> dict[str, Any]:
    accepted = general.llmrelay_accept_unsupported
    return {"general_settings": {"llmrelay_accept_unsupported": accepted}} if accepted else {}


def check_model_entry(
    entry: dict[str, Any], credentials: Mapping[str, Mapping[str, Any]], general: GeneralSettings
) -> None:
    """Raises BadRequestError naming the body field (`litellm_params.api_base`...)."""
    document = {"model_list": [entry], **_accepting(general)}
    _check(document, credentials, _ENTRY_PATH, "model_list[0]")


def check_credential_entry(entry: dict[str, Any], general: GeneralSettings) -> None:
    """A credential's values as config.yaml's credential_list takes them, and as a deployment naming
    it would use them (a value no deployment parameter takes is refused)."""
    probe = {"model_name": "credential-check", "litellm_params": {"model": "openai/credential-check",
             "litellm_credential_name": entry.get("credential_name")}}  # fmt: skip
    document = {"credential_list": [entry], "model_list": [probe], **_accepting(general)}
    try:
        _check(document, {}, _CREDENTIAL_PATH, "credential_list[0]")
    except BadRequestError as exc:
        # a value the probe deployment refused is the credential's value of that name
        if exc.param and exc.param.startswith("model_list[0].litellm_params."):
            name = exc.param.removeprefix("model_list[0].litellm_params.")
            raise BadRequestError(
                f"credential_values.{name}: {exc.message.split(': ', 1)[-1]}",
                param=f"credential_values.{name}",
                code="invalid_credential",
            ) from None
        raise


def _check(
    document: dict[str, Any], credentials: Mapping[str, Mapping[str, Any]], prefix: re.Pattern[str], own: str
) -> None:
    try:
        config = parse_config(document, source=SOURCE, environ=None, credentials=credentials)
    except ConfigError as exc:
        field = prefix.sub("", exc.path)
        raise BadRequestError(f"{field or 'body'}: {exc.problem}", param=field or None,
                              code="invalid_model") from None  # fmt: skip
    for warning in config.warnings:
        # "request body: model_list[0].litellm_params.x: unknown parameter, ignored ..."
        where, _, problem = warning.removeprefix(f"{SOURCE}: ").partition(": ")
        if not where.startswith(own) and not where.startswith("model_list[0]"):
            continue
        field = prefix.sub("", where) if where.startswith(own) else where
        problem = problem.replace(", ignored", "").replace(" (never sent to the provider)", "")
        raise BadRequestError(f"{field}: {problem}", param=field, code="unknown_parameter")
