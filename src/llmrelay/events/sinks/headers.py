"""Headers for an exporter, given as a mapping (config.yaml) or as one string in the
`name=value,name2=value2` form of OTEL_EXPORTER_OTLP_HEADERS and GENERIC_LOGGER_HEADERS."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote


def parse_headers(headers: Mapping[str, str] | str, what: str = "headers") -> dict[str, str]:
    """Values of the string form are URL-decoded (as OTLP's variables are). Raises ValueError naming
    the entry's position, never its value (often a token)."""
    if not isinstance(headers, str):
        return {str(k): str(v) for k, v in headers.items()}
    parsed: dict[str, str] = {}
    for i, item in enumerate(headers.split(",")):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{what}: entry {i + 1} is not of the form name=value")
        parsed[unquote(name.strip()).lower()] = unquote(value.strip())
    return parsed
