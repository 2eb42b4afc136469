"""A simulator of Deepgram's pre-recorded speech to text: `POST /v1/listen?model=...` with the audio's
bytes as the body and `Authorization: Token <key>`, answered in Deepgram's shape (`metadata` with the
audio's `duration`, `results.channels[].alternatives[]` with the transcript and its words), with its
error body (`err_code`, `err_msg`). What the audio says and how long it lasts come from
`openai_audio.heard` (a `spoken_wav` says its words)."""

from __future__ import annotations

from typing import Any, ClassVar

from llmrelay.testing import content as c
from llmrelay.testing.base import Call, Handler, JsonReply, ProviderError, ProviderSimulator, Reply
from llmrelay.testing.openai_audio import heard

MODELS = ("nova-3", "nova-2", "nova", "enhanced", "base", "whisper")
_ERROR_CODES = {
    400: "Bad Request",
    401: "INVALID_AUTH",
    402: "ASR_PAYMENT_REQUIRED",
    429: "TOO_MANY_REQUESTS",
}


class DeepgramSimulator(ProviderSimulator):
    kind = "deepgram"
    api_base_path = "/v1"
    takes_binary_bodies: ClassVar[bool] = True

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/v1/listen", self.listen)]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {
            "err_code": _ERROR_CODES.get(status, "INTERNAL_SERVER_ERROR"),
            "err_msg": message,
            "request_id": c.stable_id("", str(status), message, length=32),
        }

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, key = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "token" or not self.key_accepted(key.strip()):
            return ProviderError(401, "Invalid credentials.")
        return None

    async def listen(self, call: Call) -> Reply:
        model = call.query.get("model", "base")
        if model not in MODELS:
            raise ProviderError(400, f"No such model/language/tier combination found: model={model}.")
        data = call.raw_body
        if not data:
            raise ProviderError(400, "Bad Request: failed to process audio: corrupt or unsupported data")
        for name, value in call.query.items():
            if value in ("True", "False"):  # Deepgram's booleans are lowercase
                raise ProviderError(400, f"Invalid value for {name}: {value}")
        text, seconds = heard(data)
        smart = call.query.get("smart_format") == "true"
        words = text.split()
        step = seconds / max(1, len(words))
        spoken = [
            {"word": w.lower().strip(".,"), "start": round(i * step, 3), "end": round((i + 1) * step, 3),
             "confidence": 0.99, **({"punctuated_word": w} if smart else {})}
            for i, w in enumerate(words)
        ]  # fmt: skip
        channel: dict[str, Any] = {
            "alternatives": [{"transcript": text, "confidence": 0.99, "words": spoken}]
        }
        if call.query.get("detect_language") == "true":
            channel["detected_language"] = "en"
        request_id = c.stable_id("", model, data.hex()[:256], length=32)
        return JsonReply(
            {
                "metadata": {
                    "request_id": request_id,
                    "duration": round(seconds, 3),
                    "channels": 1,
                    "models": [c.stable_id("", model, length=32)],
                },
                "results": {"channels": [channel]},
            }
        )
