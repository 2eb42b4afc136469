"""One SDK call's keyword arguments → the call seam's values: a `Call` (its Operation row, typed
request and CallContext), the Deployment its model string and credentials resolve to, and the
SDK-only `mock_response`.

One reading for every call type; what differs between them is read off the Operation row: a
streaming operation takes `stream` and `stream_timeouts`, every one `drop_params`; chat's `metadata` is a
field of its request (OpenAI's), every other operation's is the caller's, for callbacks only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmrelay.calls.call import Call
from llmrelay.calls.context import EMPTY_CONTEXT, CallContext
from llmrelay.calls.operation import CHAT, Operation
from llmrelay.core.options import take_credentials
from llmrelay.core.requests import build_request
from llmrelay.router.upstream_tls import upstream_tls
from llmrelay.sdk.targets import Target, Targets
from llmrelay.types.errors import BadRequestError
from llmrelay.types.http import UpstreamTls

# keywords that steer any call rather than fill its body, in LiteLLM's and the OpenAI SDK's
# spellings (`base_url` is `api_base`, `max_retries` is `num_retries`, `headers` merge under
# `extra_headers`)
_STEERING = ("api_key", "api_base", "base_url", "api_version", "timeout", "max_retries",
             "num_retries", "extra_headers", "headers", "organization", "custom_llm_provider")  # fmt: skip
_STEERING_NAMES = frozenset(_STEERING)


@dataclass(slots=True)
class SdkCall:
    """One SDK call, read: the seam's Call, where it goes, and chat's `mock_response` (an answer,
    or an error to raise, in place of the provider; None for a real call)."""

    call: Call[Any]
    target: Target
    mock: Any = None


def read_call(operation: Operation[Any, Any], params: dict[str, Any], targets: Targets) -> SdkCall:
    """`params`: the call's keywords with `model` and the operation's input (`messages`, `input`...),
    LiteLLM's controls already taken out (core/controls.py). Unknown keywords go to the provider in
    the request body (`extra_body`); provider credentials go to the deployment, never the body."""
    model: str = params["model"]
    steering = {name: params.pop(name) for name in params.keys() & _STEERING_NAMES}
    # drop_params is LiteLLM's keyword on every call type (an embedding's task_type obeys it too);
    # left in params it would reach the provider as a body field
    drop_params = params.pop("drop_params", None)
    stream_timeouts = None
    if operation.streams:
        params["stream"] = params.pop("stream", False) or None
        stream_timeouts = params.pop("stream_timeouts", None)
    mock = params.pop("mock_response", None) if operation is CHAT else None
    metadata = None if operation is CHAT else params.pop("metadata", None)
    credentials = take_credentials(params)
    tls = _call_tls(params)
    request = build_request(operation.request_type, params)
    if operation is CHAT:
        metadata = request.metadata
    headers, extra_headers = steering.get("headers"), steering.get("extra_headers")
    num_retries = steering.get("num_retries")
    timeout = steering.get("timeout")
    target = targets.resolve(
        model,
        provider=steering.get("custom_llm_provider"),
        api_key=steering.get("api_key"),
        api_base=steering.get("api_base") or steering.get("base_url"),
        api_version=steering.get("api_version"),
        timeout=timeout,
        extra_headers={**headers, **(extra_headers or {})} if headers else extra_headers,
        organization=steering.get("organization"),
        credentials=credentials,
        tls=tls,
    )
    if num_retries is None:
        num_retries = steering.get("max_retries")
    knobs = (timeout, stream_timeouts, num_retries, drop_params)
    if metadata is None and knobs == (None, None, None, None):
        context = EMPTY_CONTEXT  # the common call: nothing to carry besides its request
    else:
        context = CallContext(
            client_metadata=metadata,
            timeout=timeout,
            stream_timeouts=stream_timeouts,
            num_retries=num_retries,
            drop_params=drop_params,
        )
    return SdkCall(Call(operation, request, context), target, mock)


def _call_tls(params: dict[str, Any]) -> UpstreamTls | None:
    """LiteLLM's `ssl_verify` / `ssl_certificate` keywords: TLS to the upstream, never body fields
    (router/upstream_tls.py; `ssl_verify=False` is refused, verification is never turned off)."""
    if "ssl_verify" not in params and "ssl_certificate" not in params:
        return None
    tls, problem = upstream_tls(params.pop("ssl_verify", None), params.pop("ssl_certificate", None))
    if problem is not None:
        name, _, text = problem.partition(": ")
        raise BadRequestError(f"{name}: {text}", param=name)
    return tls
