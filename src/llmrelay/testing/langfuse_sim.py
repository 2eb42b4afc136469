"""A Langfuse ingestion endpoint for tests: POST /api/public/ingestion with Basic auth (public key
as user, secret key as password), a JSON body {"batch": [events]}, answered as Langfuse does:
401 for bad credentials, otherwise 207 with per-event `successes` and `errors`. Events are checked
for the envelope ({id, type, timestamp, body}) and a body id; events already received (same
envelope id) are acknowledged again but stored once, as Langfuse deduplicates.

Faults for the sink's tests: `statuses.script(500, 429)` answers whole batches with those statuses
first; `fail_event(envelope_id, status)` reports one event as failed (once) inside a 207.

    with LangfuseSimulator() as lf:       # lf.base_url, lf.public_key, lf.secret_key
        ...
        lf.wait_events(2)
        lf.generations["<call id>"]["usageDetails"]"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from typing import Any

from aiohttp import web

from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, ScriptedStatuses, read_received

INGESTION_PATH = "/api/public/ingestion"
EVENT_TYPES = frozenset(
    {
        "trace-create",
        "generation-create",
        "generation-update",
        "span-create",
        "span-update",
        "event-create",
        "score-create",
        "sdk-log",
    }
)


class LangfuseSimulator:
    def __init__(self, public_key: str = "pk-lf-test", secret_key: str = "sk-lf-test-secret") -> None:
        self.public_key = public_key
        self.secret_key = secret_key
        self.log = ReceiverLog()  # every request, accepted or not
        self.statuses = ScriptedStatuses()
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, Any]] = {}  # envelope id → event, in arrival order
        self._event_faults: dict[str, int] = {}
        self._thread = ReceiverThread([("POST", INGESTION_PATH, self._ingest)])
        self.base_url = ""

    # ---- what arrived
    @property
    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events.values())

    def bodies(self, kind: str) -> dict[str, dict[str, Any]]:
        """Bodies of the stored events of one type, by body id (later events win)."""
        return {e["body"]["id"]: e["body"] for e in self.events if e["type"] == kind}

    @property
    def traces(self) -> dict[str, dict[str, Any]]:
        return self.bodies("trace-create")

    @property
    def generations(self) -> dict[str, dict[str, Any]]:
        return self.bodies("generation-create")

    def wait_events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        self.log.wait_for(lambda _: len(self.events) >= count, timeout)
        return self.events

    # ---- faults
    def fail_event(self, envelope_id: str, status: int) -> None:
        with self._lock:
            self._event_faults[envelope_id] = status

    # ---- the endpoint
    async def _ingest(self, request: web.Request) -> web.StreamResponse:
        received = await read_received(request)
        status = self.statuses.next()
        if status is not None:
            self.log.add(received)
            return web.json_response({"message": "scripted failure"}, status=status)
        if not self._authorized(received.headers.get("authorization")):
            self.log.add(received)
            return web.json_response({"message": "Invalid credentials"}, status=401)
        try:
            batch = json.loads(received.body)["batch"]
            if not isinstance(batch, list):
                raise TypeError("batch is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            self.log.add(received)
            return web.json_response({"message": f"Invalid request data: {exc}"}, status=400)
        successes: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            for event in batch:
                problem = _problem(event)
                event_id = event.get("id") if isinstance(event, dict) else None
                fault = self._event_faults.pop(str(event_id), None)
                if problem is not None:
                    errors.append(
                        {
                            "id": str(event_id),
                            "status": 400,
                            "message": "Invalid request data",
                            "error": problem,
                        }
                    )
                elif fault is not None:
                    errors.append({"id": event_id, "status": fault, "message": "scripted event failure"})
                else:
                    self._events.setdefault(str(event_id), event)
                    successes.append({"id": event_id, "status": 201})
        # logged after storing: a test waiting on the log sees the events too
        self.log.add(received)
        return web.json_response({"successes": successes, "errors": errors}, status=207)

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return decoded == f"{self.public_key}:{self.secret_key}"

    def __enter__(self) -> LangfuseSimulator:
        self.base_url = self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.stop()


def _problem(event: Any) -> str | None:
    """What makes an event invalid for Langfuse's ingestion schema (the parts the sink sends)."""
    if not isinstance(event, dict):
        return "event is not an object"
    for key in ("id", "type", "timestamp", "body"):
        if key not in event:
            return f"event lacks {key}"
    if event["type"] not in EVENT_TYPES:
        return f"unknown event type {event['type']!r}"
    body = event["body"]
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return "body lacks an id"
    if event["type"].startswith("generation") and not isinstance(body.get("traceId"), str):
        return "generation lacks a traceId"
    return None
