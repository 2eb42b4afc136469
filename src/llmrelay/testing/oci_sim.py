"""A simulator of OCI Generative AI's inference API: `POST /20231130/actions/chat` with a
`ChatDetails` body (`compartmentId`, `servingMode`, `chatRequest` in the GENERIC or COHERE format),
answering a `ChatResult` (`modelId`, `modelVersion`, `chatResponse`) or, with `isStream`, server-sent
events (GENERIC: `{"index", "message", "pad"}` pieces, a `finishReason` event, a `usage` event when
`streamOptions.isIncludeUsage`; COHERE: `{"apiFormat": "COHERE", "text"}` pieces and a last event
repeating the text with its `finishReason`).

Every request must be signed as OCI's API checks it (the HTTP Signatures draft, RSA-SHA256): the
`authorization` header's keyId must name a registered key (`register_key`, or `new_key` which makes
one), its signed headers must include `date (request-target) host` and, for a body,
`content-length content-type x-content-sha256`, those headers must match the request (the body's
SHA-256, its length, a date within 5 minutes), and the signature must verify with the key's public
half. Otherwise 401 `{"code": "NotAuthenticated", "message"}` as OCI answers. Needs cryptography.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import threading
import time
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import (
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
    StreamReply,
    sse_data,
)

CHAT_PATH = "/20231130/actions/chat"
TENANCY = "ocid1.tenancy.oc1..sim"
USER = "ocid1.user.oc1..sim"
COMPARTMENT = "ocid1.compartment.oc1..sim"
_REQUIRED = ("date", "(request-target)", "host")
_BODY = ("content-length", "content-type", "x-content-sha256")
_FIELD = re.compile(r'(\w+)="([^"]*)"')
_CODES = {
    400: "InvalidParameter",
    401: "NotAuthenticated",
    403: "NotAuthorized",
    404: "NotAuthorizedOrNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


class OCISimulator(ProviderSimulator):
    kind = "oci"
    api_base_path = ""  # the inference endpoint's root; the adapter adds /20231130/actions/chat

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}  # keyId → public key
        self._default: dict[str, str] | None = None

    # ---- keys
    def register_key(self, key_id: str, public_pem: str) -> None:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_public_key(public_pem.encode())
        with self._lock:
            self._keys[key_id] = key

    def new_key(self, fingerprint: str = "12:34:56:78:90:ab:cd:ef") -> dict[str, str]:
        """A fresh API key, registered: the deployment settings that sign with it."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self.register_key(f"{TENANCY}/{USER}/{fingerprint}", public)
        return {
            "oci_tenancy": TENANCY,
            "oci_user": USER,
            "oci_fingerprint": fingerprint,
            "oci_key": private,
            "oci_compartment_id": COMPARTMENT,
        }

    def default_settings(self) -> dict[str, str]:
        """The signing settings of one key made on first use and kept (RunningSimulator.sdk_kwargs)."""
        with self._lock:
            made = self._default
        if made is None:
            made = self.new_key("sim:de:fa:ul:t0")
            with self._lock:
                self._default = self._default or made
                made = self._default
        return dict(made)

    # ---- provider definition
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", CHAT_PATH, self.chat)]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"code": detail.get("code") or _CODES.get(status, "InternalServerError"), "message": message}

    def stream_error_event(self, status: int, message: str) -> bytes:
        return sse_data(self.error_body(status, message))

    def check_auth(self, call: Call) -> ProviderError | None:
        problem = self.signature_problem(call)
        if problem is None:
            return None
        return ProviderError(
            401,
            f"The required information to complete authentication was not provided or was "
            f"incorrect: {problem}",
            code="NotAuthenticated",
        )

    def signature_problem(self, call: Call) -> str | None:
        """None when `call` is signed by a registered key as OCI checks it; else what is wrong."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        scheme, _, rest = call.headers.get("authorization", "").partition(" ")
        fields = dict(_FIELD.findall(rest))
        if scheme != "Signature" or fields.get("version") != "1" or fields.get("algorithm") != "rsa-sha256":
            return "not an rsa-sha256 Signature"
        names = tuple(fields.get("headers", "").split())
        needed = _REQUIRED + (_BODY if call.method in ("POST", "PUT", "PATCH") else ())
        if set(needed) - set(names):
            return f"headers must be signed: {' '.join(needed)}"
        body = call.raw_body
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if call.headers.get("x-content-sha256") != digest or call.headers.get("content-length") != str(
            len(body)
        ):
            return "x-content-sha256 or content-length does not match the body"
        when = email.utils.parsedate_to_datetime(call.headers.get("date", "Thu, 01 Jan 1970 00:00:00 GMT"))
        if abs(when.timestamp() - time.time()) > 300:
            return "the date is more than 5 minutes off"
        with self._lock:
            key = self._keys.get(fields.get("keyId", ""))
        if key is None:
            return "unknown keyId"
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"(request-target): {call.method.lower()} {call.raw_path}")
            else:
                lines.append(f"{name}: {call.headers.get(name, '')}")
        try:
            signature = base64.b64decode(fields.get("signature", ""))
            key.verify(signature, "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "the signature does not verify"
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(
                400, "Input length exceeds the model's context length", code="InvalidParameter"
            )
        return ProviderError(400, "Inappropriate content detected", code="InvalidParameter")

    # ---- chat
    async def chat(self, call: Call) -> Reply:
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("chatRequest"), dict):
            raise ProviderError(400, "chatRequest is required", code="InvalidParameter")
        if not body.get("compartmentId"):
            raise ProviderError(400, "compartmentId is required", code="InvalidParameter")
        mode = body.get("servingMode") or {}
        model = mode.get("modelId") or mode.get("endpointId")
        if mode.get("servingType") not in ("ON_DEMAND", "DEDICATED") or not model:
            raise ProviderError(400, "servingMode is invalid", code="InvalidParameter")
        request = body["chatRequest"]
        if request.get("apiFormat") == "COHERE":
            return self._cohere(model, request, call)
        if request.get("apiFormat") != "GENERIC":
            raise ProviderError(400, "apiFormat must be GENERIC or COHERE", code="InvalidParameter")
        return self._generic(model, request, call)

    def _generic(self, model: str, request: dict[str, Any], call: Call) -> Reply:
        messages = request.get("messages") or []
        texts = [
            p.get("text", "") for m in messages for p in m.get("content") or [] if p.get("type") == "TEXT"
        ]
        user = next(
            (
                p.get("text", "")
                for m in reversed(messages)
                if m.get("role") == "USER"
                for p in m.get("content") or []
                if p.get("type") == "TEXT"
            ),
            "",
        )
        prompt = c.count_tokens(" ".join(texts))
        tools = request.get("tools") or []
        last_is_tool = bool(messages) and messages[-1].get("role") == "TOOL"
        if tools and not last_is_tool and (request.get("toolChoice") or {}).get("type") != "NONE":
            names = [t.get("name", "") for t in tools]
            chosen = tools[c.pick_tool(names, [t.get("description", "") for t in tools], user)]
            args = c.example_object(chosen.get("parameters") or {}, user)
            call_id = c.stable_id("call_", user, chosen.get("name", ""))
            tool_call = {
                "id": call_id,
                "type": "FUNCTION",
                "name": chosen.get("name"),
                "arguments": _dumps(args),
            }
            message: dict[str, Any] = {"role": "ASSISTANT", "toolCalls": [tool_call]}
            text, reason = "", "tool_calls"
        else:
            text = c.tool_result_reply(texts[-1]) if last_is_tool else c.reply_text(user)
            text, cut = c.truncate_to_tokens(text, request.get("maxTokens"))
            message, reason = (
                {"role": "ASSISTANT", "content": [{"type": "TEXT", "text": text}]},
                "length" if cut else "stop",
            )
        completion = len(c.word_pieces(text)) if text else 8
        usage = {"promptTokens": prompt, "completionTokens": completion, "totalTokens": prompt + completion}
        if not request.get("isStream"):
            answer = {
                "apiFormat": "GENERIC",
                "timeCreated": _now(),
                "usage": usage,
                "choices": [{"index": 0, "message": message, "finishReason": reason}],
            }
            return JsonReply({"modelId": model, "modelVersion": "1.0", "chatResponse": answer})
        events = []
        if text:
            for piece in c.group_pieces(c.word_pieces(text), call.chunks):
                events.append(
                    sse_data(
                        {
                            "index": 0,
                            "message": {"role": "ASSISTANT", "content": [{"type": "TEXT", "text": piece}]},
                            "pad": "aaaa",
                        }
                    )
                )
            events.append(
                sse_data({"index": 0, "message": {"role": "ASSISTANT"}, "finishReason": reason, "pad": "a"})
            )
        else:
            events.append(sse_data({"index": 0, "message": message, "finishReason": reason, "pad": "aa"}))
        if (request.get("streamOptions") or {}).get("isIncludeUsage"):
            events.append(sse_data({"usage": usage}))
        return StreamReply(events)

    def _cohere(self, model: str, request: dict[str, Any], call: Call) -> Reply:
        user = str(request.get("message") or "")
        history = " ".join(str(t.get("message") or "") for t in request.get("chatHistory") or [])
        prompt = c.count_tokens(" ".join((str(request.get("preambleOverride") or ""), history, user)))
        text, cut = c.truncate_to_tokens(c.reply_text(user), request.get("maxTokens"))
        reason = "MAX_TOKENS" if cut else "COMPLETE"
        completion = len(c.word_pieces(text))
        usage = {"promptTokens": prompt, "completionTokens": completion, "totalTokens": prompt + completion}
        if not request.get("isStream"):
            answer = {
                "apiFormat": "COHERE",
                "text": text,
                "finishReason": reason,
                "usage": usage,
                "chatHistory": [{"role": "USER", "message": user}, {"role": "CHATBOT", "message": text}],
            }
            return JsonReply({"modelId": model, "modelVersion": "1.0", "chatResponse": answer})
        events = [
            sse_data({"apiFormat": "COHERE", "text": piece, "pad": "aaa"})
            for piece in c.group_pieces(c.word_pieces(text), call.chunks)
        ]
        events.append(sse_data({"apiFormat": "COHERE", "text": text, "finishReason": reason, "pad": "a"}))
        if (request.get("streamOptions") or {}).get("isIncludeUsage"):
            events.append(sse_data({"apiFormat": "COHERE", "usage": usage}))
        return StreamReply(events)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)
