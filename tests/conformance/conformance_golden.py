"""Golden files of the conformance suite: what an adapter put on the wire for a canonical call and
what it made of the recorded answer, as JSON under golden/<case id>/<call type>.json.

A golden file is written once (LLMRELAY_UPDATE_GOLDEN=1), reviewed and committed; from then on the
suite compares. Secrets never reach a golden file: credential values become `<secret>` and the
parts of an AWS signature that change with the clock are replaced."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from conformance_case import AdapterCase

from llmrelay.types.http import HttpRequest

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("LLMRELAY_UPDATE_GOLDEN") == "1"
SECRET = "<secret>"
# ids an adapter makes up when the provider's answer has none (uuid4 hex): random by design
_GENERATED_ID = re.compile(r"^chatcmpl-[0-9a-f]{32}$")


def request_snapshot(request: HttpRequest, case: AdapterCase) -> dict[str, Any]:
    body: Any = None
    if request.body:
        body = json.loads(request.body)
    return {
        "method": request.method,
        "url": request.url.replace(case.secret, SECRET),
        "headers": {name: _header(name, value, case) for name, value in sorted(request.headers.items())},
        "body": body,
        "stream": request.stream,
    }


def _header(name: str, value: str, case: AdapterCase) -> str:
    if name == "x-amz-date" or (name == "date" and value.endswith(" GMT")):
        return "<signing time>"
    if value.startswith('Signature version="1"'):
        # OCI's HTTP signature: the key id and the signed headers stay, the signature is the clock's
        return value.partition(',signature="')[0] + ',signature="<signature>"'
    if value.startswith("AWS4-HMAC-SHA256 "):
        # the credential scope carries the date and the signature the clock: keep the signed headers
        signed = value.partition("SignedHeaders=")[2].partition(",")[0]
        return f"AWS4-HMAC-SHA256 SignedHeaders={signed}, Signature=<signature>"
    return value.replace(case.secret, SECRET)


def canonical(value: Any, wire: bytes) -> Any:
    """A parsed object as plain data without what depends on the clock or a random draw: a
    `created` the adapter stamped itself (a provider's own, found in its answer `wire`, stays) and
    generated ids."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "created":
                assert isinstance(item, int) and item > 0, f"created={item!r}"
                out[key] = item if str(item).encode() in wire else "<created>"
            elif key == "id" and isinstance(item, str) and _GENERATED_ID.match(item):
                out[key] = "chatcmpl-<generated>"
            else:
                out[key] = canonical(item, wire)
        return out
    if isinstance(value, list):
        return [canonical(v, wire) for v in value]
    return value


def check_golden(case: AdapterCase, call: str, actual: dict[str, Any]) -> None:
    path = GOLDEN / case.id / f"{call}.json"
    text = json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), (
        f"no golden file {path.relative_to(GOLDEN.parent)}: write it with LLMRELAY_UPDATE_GOLDEN=1, "
        "review it, commit it"
    )
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected
