"""An agency that implements this protocol, in memory, for tests and the contract kit.

It is a real HTTP server on 127.0.0.1, so the connector is exercised through
its actual client, headers and timeouts. It behaves as the README asks a real
agency to: it verifies every signature (401 otherwise), records an
application once per ``Idempotency-Key`` however often it is sent, and answers
the documented error bodies. Faults are switched on and off while it runs:

* ``fail_with(Failure.UNAVAILABLE)``: 503 to everything (a load balancer with
  no healthy backend); ``stop()``/``start()`` refuses connections instead and
  keeps the port and the state;
* ``fail_with(Failure.SLOW)``: the request is processed (a submit is recorded)
  but the answer is held for ``slow_seconds``;
* ``fail_with(Failure.REJECT)``: 422 to every application call;
* ``lose_answers()``: the request is processed, then the connection is closed
  without an answer: the case idempotency keys exist for.

Left alone, an application stays ``received``; a ``progress`` rule (what the
demo's stand-in gives it, see :mod:`.stand_in`) moves applications on by
themselves as the agency's clock advances.

Counters and state are guarded by one lock: the server answers on many threads.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from asan.testing.connector_contract import Failure
from asan_rest_webhook import callbacks, signing
from asan_rest_webhook.documents import (
    ProtocolViolationError,
    UnreadableAnswerError,
    encode,
    read_object,
)
from asan_rest_webhook.fake_server import Answer, FakeServer

PREFIX = "/agency/v1"
"""The fake's base path, so that signatures are checked over a path with a prefix."""
HOST = "127.0.0.1"
FINAL_WORDS = frozenset({"issued", "rejected", "cancelled"})
_APPLICATION = re.compile(r"^/applications/(?P<ref>[^/]+)(?P<cancel>/cancel)?$")
_REQUIRED_FIELDS = ("idempotency_key", "reference", "service", "applicant", "form")


@dataclass(frozen=True, slots=True)
class FakeApplication:
    """One application as the fake agency holds it (a copy: changing it changes nothing)."""

    agency_reference: str
    idempotency_key: str
    document: Mapping[str, Any]
    """The submitted body, as the agency parsed it."""
    status: str = "received"
    note: str = ""
    cancel_reason: str | None = None
    received_at: float = 0.0
    """The agency's clock when it recorded the application."""


Progress = Callable[[str, Mapping[str, Any], float], tuple[str, str] | None]
"""``(status word, submitted document, seconds since it was recorded) -> (word, note)`` the
application has moved on to, or None where it stays. Asked whenever an application is read, so
that a status follows the clock without a thread of its own."""


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Answer:
    """The protocol's error body."""
    return Answer(status, {"error": code, "message": message}, headers or {})


class FakeAgency:
    """The agency side of the protocol; use as a context manager or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        slow_seconds: float = 3.0,
        max_clock_skew_seconds: int = 300,
        port: int = 0,
        clock: Callable[[], float] = time.time,
        host: str = HOST,
        prefix: str = PREFIX,
        progress: Progress | None = None,
    ) -> None:
        self.secret = secret or secrets.token_urlsafe(32)
        self.slow_seconds = slow_seconds
        self.max_clock_skew_seconds = max_clock_skew_seconds
        self.prefix = prefix.rstrip("/")
        """The path ``base_url`` ends with (``""``: the API is at the root)."""
        self._clock = clock
        self._progress = progress
        self._server = FakeServer(self._respond, port=port, host=host)
        self._lock = threading.Lock()
        self._failure: Failure | None = None
        self._lose_answers = False
        self._by_key: dict[str, str] = {}
        self._applications: dict[str, FakeApplication] = {}
        self._records: dict[str, int] = {}
        self._submit_calls = 0
        self._refused_signatures = 0

    # Running -----------------------------------------------------------------------------

    def start(self) -> FakeAgency:
        """Listen (again, on the same port after a stop); the state is kept across restarts."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection: calls now fail to connect."""
        self._server.stop()

    def __enter__(self) -> FakeAgency:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The ``base_url`` a connector is given."""
        if not self._server.port:
            raise RuntimeError("the fake agency has not been started")
        host = self._server.host
        netloc = f"[{host}]" if ":" in host else host
        return f"http://{netloc}:{self._server.port}{self.prefix}"

    def settings(self, *, timeout_seconds: float = 10.0) -> dict[str, Any]:
        """Connector settings (secret resolved) that point at this agency."""
        return {
            "base_url": self.url,
            "shared_secret": self.secret,
            "timeout_seconds": timeout_seconds,
            "max_clock_skew_seconds": self.max_clock_skew_seconds,
        }

    # Steering ----------------------------------------------------------------------------

    def fail_with(self, failure: Failure | None) -> None:
        with self._lock:
            self._failure = failure

    def lose_answers(self, enabled: bool = True) -> None:
        with self._lock:
            self._lose_answers = enabled

    def set_status(self, agency_reference: str, status: str, note: str = "") -> None:
        """Move an application to any word, even one outside the protocol (to test that)."""
        with self._lock:
            application = self._applications[agency_reference]
            self._applications[agency_reference] = replace(application, status=status, note=note)

    # Reading -----------------------------------------------------------------------------

    def application(self, agency_reference: str) -> FakeApplication:
        with self._lock:
            application = self._current(agency_reference)
        if application is None:
            raise KeyError(agency_reference)
        return application

    def recorded(self, idempotency_key: str) -> int:
        """How many applications were recorded under this key (1 when deduplication works)."""
        with self._lock:
            return self._records.get(idempotency_key, 0)

    def received_keys(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._records)

    @property
    def submit_calls(self) -> int:
        """Every ``POST /applications`` that reached the server, whatever it was answered."""
        with self._lock:
            return self._submit_calls

    @property
    def refused_signatures(self) -> int:
        with self._lock:
            return self._refused_signatures

    def signed_callback(
        self,
        agency: str,
        agency_reference: str,
        *,
        status: str | None = None,
        note: str | None = None,
        now: float | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of the callback this agency would send about an application.

        Without ``status`` it reports the application's current state. The
        platform's route is ``callbacks.callback_path(agency)`` on the tenant's host.
        """
        if status is None:
            application = self.application(agency_reference)
            status, note = application.status, note if note is not None else application.note
        document: dict[str, Any] = {"agency_reference": agency_reference, "status": status}
        if note:
            document["note"] = note
        body = encode(document)
        moment = self._clock() if now is None else now
        headers = callbacks.callback_headers(self.secret, agency, body, now=moment)
        headers[callbacks.REQUEST_ID_HEADER] = str(uuid.uuid4())
        return headers, body

    # Serving -----------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        path = target.split("?", 1)[0]
        route = path.removeprefix(self.prefix) if path.startswith(self.prefix + "/") else None
        with self._lock:
            if method == "POST" and route == "/applications":
                self._submit_calls += 1
            failure, lose = self._failure, self._lose_answers
        if failure == Failure.UNAVAILABLE:
            return _error(503, "unavailable", "the agency is down", {"Retry-After": "1"})
        try:
            signing.verify(
                self.secret,
                headers,
                method,
                target,
                body,
                now=self._clock(),
                max_skew_seconds=self.max_clock_skew_seconds,
            )
        except signing.SignatureError as exc:
            with self._lock:
                self._refused_signatures += 1
            return _error(401, "bad_signature", str(exc))
        if route is not None and route.startswith("/applications") and failure == Failure.REJECT:
            answer = _error(422, "invalid_application", "the agency refuses this application")
        else:
            answer = self._route(method, route, headers, body)
        if failure == Failure.SLOW:
            return replace(answer, delay_seconds=self.slow_seconds)
        return replace(answer, drop=True) if lose else answer

    def _route(
        self, method: str, route: str | None, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        if route == "/health":
            return Answer(200, {"status": "ok"}) if method == "GET" else _method_not_allowed()
        if route == "/applications":
            return self._submit(headers, body) if method == "POST" else _method_not_allowed()
        match = _APPLICATION.match(route or "")
        if match is None:
            return _error(404, "not_found", "no such endpoint")
        reference = unquote(match["ref"])
        if match["cancel"]:
            return self._cancel(reference, body) if method == "POST" else _method_not_allowed()
        return self._status(reference) if method == "GET" else _method_not_allowed()

    def _submit(self, headers: Mapping[str, str], body: bytes) -> Answer:
        key = signing.header_value(headers, "Idempotency-Key")
        if not key or len(key) > 255:
            return _error(400, "missing_idempotency_key", "Idempotency-Key is required")
        try:
            document = read_object(body)
        except (UnreadableAnswerError, ProtocolViolationError):
            return _error(400, "invalid_json", "the body is not a JSON object")
        missing = [name for name in _REQUIRED_FIELDS if name not in document]
        if missing:
            return _error(422, "invalid_application", f"missing: {', '.join(missing)}")
        if document["idempotency_key"] != key:
            return _error(422, "invalid_application", "idempotency_key differs from the header")
        with self._lock:
            known = self._by_key.get(key)
            if known is not None:
                application = self._applications[known]
                if application.document.get("reference") != document["reference"]:
                    return _error(409, "idempotency_conflict", "key reused for another application")
                return Answer(200, _state(self._moved_on(application)))
            reference = f"AG-{uuid.uuid4().hex[:12].upper()}"
            application = FakeApplication(reference, key, document, received_at=self._clock())
            self._by_key[key] = reference
            self._applications[reference] = application
            self._records[key] = self._records.get(key, 0) + 1
        return Answer(201, _state(application))

    def _status(self, reference: str) -> Answer:
        with self._lock:
            application = self._current(reference)
        if application is None:
            return _error(404, "unknown_reference", "no application with this reference")
        return Answer(200, _state(application))

    def _cancel(self, reference: str, body: bytes) -> Answer:
        try:
            reason = read_object(body).get("reason")
        except (UnreadableAnswerError, ProtocolViolationError):
            reason = None
        if not isinstance(reason, str):
            return _error(422, "invalid_request", "reason is required")
        with self._lock:
            application = self._current(reference)
            if application is None:
                return _error(404, "unknown_reference", "no application with this reference")
            if application.status == "cancelled":
                return Answer(200, _state(application))
            if application.status in FINAL_WORDS:
                return _error(409, "already_final", f"the application is {application.status}")
            application = replace(application, status="cancelled", note="", cancel_reason=reason)
            self._applications[reference] = application
        return Answer(200, _state(application))

    def _current(self, reference: str) -> FakeApplication | None:
        """The application as it stands now; call with the lock held."""
        application = self._applications.get(reference)
        return None if application is None else self._moved_on(application)

    def _moved_on(self, application: FakeApplication) -> FakeApplication:
        """The application once ``progress`` has had its say; call with the lock held."""
        if self._progress is None:
            return application
        elapsed = self._clock() - application.received_at
        step = self._progress(application.status, application.document, elapsed)
        if step is None or step == (application.status, application.note):
            return application
        application = replace(application, status=step[0], note=step[1])
        self._applications[application.agency_reference] = application
        return application


def _state(application: FakeApplication) -> dict[str, Any]:
    document: dict[str, Any] = {
        "agency_reference": application.agency_reference,
        "status": application.status,
    }
    if application.note:
        document["note"] = application.note
    return document


def _method_not_allowed() -> Answer:
    return _error(405, "method_not_allowed", "not on this endpoint")
