"""The name of the exception an AWS service answered with. An HTTP error names it in the
`x-amzn-ErrorType` header (`ValidationException:http://internal.amazon.com/...`) and/or the JSON body's
`__type` (`com.amazon.coral.service#UnrecognizedClientException`)."""

from __future__ import annotations

ERROR_TYPE_HEADER = "x-amzn-errortype"


def exception_name(raw: str | None) -> str | None:
    """`raw` (the header's value or the body's `__type`) without its namespace; None when empty."""
    if not raw:
        return None
    return raw.split(":", 1)[0].rsplit("#", 1)[-1].strip() or None
