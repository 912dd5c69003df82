"""A fake X-Road: the tenant's security server with the agency's provider service behind it.

It is what ``PluginSpec.contract`` starts for the contract kit, and what this
plugin's tests talk to. It serves on 127.0.0.1 (an ephemeral port) from a
thread, and it is strict where a real security server is: a request without
our ``X-Road-Client``, for another provider or for a service the provider does
not offer is refused with an X-Road fault (``X-Road-Error`` header and a
``{"type", "message", "detail"}`` body), and noted in :attr:`XRoadFake.violations`.
Every answer that passed through X-Road carries ``X-Road-Id``,
``X-Road-Request-Id``, ``X-Road-Request-Hash``, ``X-Road-Service`` and
``X-Road-Client``, as a provider's security server sets them.

Behind it, the provider service keeps applications in memory, records each
``Idempotency-Key`` once, and answers per the contract in the README. Left
alone, an application stays ``RECEIVED``; a ``progress`` rule (what the demo's
stand-in gives it, see :mod:`.stand_in`) moves applications on by themselves as
the fake's clock advances.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from asan.plugins import AgencyStatus
from asan.testing.connector_contract import Failure
from asan_xroad.identifiers import SubsystemId

CLIENT = "AZ/GOV/1400057421/asan-platform"
SERVICE = "AZ/GOV/1700767721/tax-applications"
SERVICE_CODE = "applications"
USER_ID = "AZasan-delivery"
TIMEOUT_SECONDS = 1.0

AGENCY_STATUSES: Mapping[str, AgencyStatus] = {
    "RECEIVED": AgencyStatus.RECEIVED,
    "IN_PROCESSING": AgencyStatus.IN_PROGRESS,
    "READY_FOR_PICKUP": AgencyStatus.READY,
    "HANDED_OVER": AgencyStatus.ISSUED,
    "REJECTED": AgencyStatus.REJECTED,
    "WITHDRAWN": AgencyStatus.CANCELLED,
}
"""The agency's vocabulary as its service documentation states it, written out here rather than
imported, so the contract kit checks the connector's table against an independent statement."""

_CLOSED = frozenset({"HANDED_OVER", "REJECTED"})
_METASERVICES = frozenset({"listMethods", "allowedMethods"})
_JSON = "application/json;charset=utf-8"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as the fake received it, and what it answered."""

    method: str
    path: str
    """As sent, percent-encoding included."""
    headers: Mapping[str, str]
    """Names in lower case."""
    body: bytes
    status: int
    x_road_id: str | None
    """The ``X-Road-Id`` answered (None on a security server fault)."""
    x_road_error: str | None


@dataclass(slots=True)
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False


@dataclass(slots=True)
class _Application:
    agency_reference: str
    idempotency_key: str
    document: dict[str, Any]
    status: str = "RECEIVED"
    note: str = ""
    received_at: float = 0.0
    """The fake's clock when the provider recorded the application."""


Progress = Callable[[str, Mapping[str, Any], float], tuple[str, str] | None]
"""``(status word, submitted document, seconds since it was recorded) -> (word, note)`` the
application has moved on to, or None where it stays. Asked whenever an application is read, so
that a status follows the clock without a thread of its own."""


@dataclass(frozen=True, slots=True)
class _Canned:
    status: int
    body: bytes
    content_type: str
    xroad_error: str | None
    truncate: bool


class XRoadFake:
    """The fake's state, and the :class:`~asan.testing.connector_contract.ContractHarness`."""

    def __init__(
        self,
        *,
        honour_client_message_ids: bool,
        user_id: str | None,
        client: SubsystemId | None = None,
        service: SubsystemId | None = None,
        service_code: str = SERVICE_CODE,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
        keep_exchanges: bool = True,
    ) -> None:
        self.settings: Mapping[str, Any] = {}
        self.timeout_seconds = TIMEOUT_SECONDS
        self.agency_statuses: Mapping[str, AgencyStatus] = AGENCY_STATUSES
        self.client = client or SubsystemId.parse(CLIENT, setting="client")
        self.service = service or SubsystemId.parse(SERVICE, setting="service")
        self.service_code = service_code
        self.user_id = user_id
        self.prefix = prefix.rstrip("/")
        """The path the security server's URL ends with (``""``: X-Road at the root)."""
        self.keep_exchanges = keep_exchanges
        """Off for a long-running demo: every exchange kept is memory, and applicants' data."""
        self._clock = clock
        self._progress = progress
        self.honour_client_message_ids = honour_client_message_ids
        """A real security server keeps an ``X-Road-Id`` the client sent; tests turn this off
        to see that the connector keeps the id the security server answers with."""
        self.exchanges: list[Exchange] = []
        self.violations: list[str] = []
        """Requests the fake refused for breaking the protocol, in words."""
        self.access_granted = True
        self._failure: Failure | None = None
        self._canned: _Canned | None = None
        self._applications: dict[str, _Application] = {}
        self._by_key: dict[str, str] = {}
        self._issued_ids: set[str] = set()
        self._lock = threading.Lock()

    # The ContractHarness interface.

    def fail_with(self, failure: Failure | None) -> None:
        with self._lock:
            self._failure = failure

    async def set_agency_status(self, agency_reference: str, agency_status: str) -> None:
        if agency_status not in AGENCY_STATUSES:
            raise ValueError(f"{agency_status!r} is not one of the agency's statuses")
        with self._lock:
            self._applications[agency_reference].status = agency_status

    def recorded(self, idempotency_key: str) -> int:
        with self._lock:
            return sum(
                1 for app in self._applications.values() if app.idempotency_key == idempotency_key
            )

    # Steering for tests beyond the contract.

    def answer_as_provider(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = _JSON,
        truncate: bool = False,
    ) -> None:
        """From now on the provider service answers calls to its service with this, and the
        answer passes X-Road as any provider answer does (``truncate``: the connection closes
        before the announced length has been sent)."""
        with self._lock:
            self._canned = _Canned(status, body, content_type, None, truncate)

    def answer_as_security_server(
        self, fault_type: str, *, status: int = 500, message: str = "simulated fault"
    ) -> None:
        """From now on every call (metaservices too) gets this X-Road fault."""
        body = _fault_body(fault_type, message)
        with self._lock:
            self._canned = _Canned(status, body, _JSON, fault_type, False)

    def answer_normally(self) -> None:
        with self._lock:
            self._canned = None

    # Serving.

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        with self._lock:
            reply = self._route(method, target, headers, body)
            if not self.keep_exchanges:
                return reply
            self.exchanges.append(
                Exchange(
                    method=method,
                    path=target,
                    headers=dict(headers),
                    body=body,
                    status=reply.status,
                    x_road_id=reply.headers.get("X-Road-Id"),
                    x_road_error=reply.headers.get("X-Road-Error"),
                )
            )
            return reply

    def _route(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        path = urlsplit(target).path
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return self._refuse(400, "Client.BadRequest", f"not under {self.prefix}: {target}")
            path = path.removeprefix(self.prefix)
        segments = [unquote(part) for part in path.split("/")[1:]]
        if not segments or segments[0] != "r1":
            return self._refuse(
                400, "Client.BadRequest", f"not the X-Road Message Protocol for REST (r1): {target}"
            )
        if len(segments) < 6 or not all(segments[1:6]):
            return self._refuse(
                400, "Client.BadRequest", f"the URL names no complete service identifier: {target}"
            )
        client_header = headers.get("x-road-client")
        if client_header is None:
            return self._refuse(400, "Client.BadRequest", "the X-Road-Client header is missing")
        client = SubsystemId.from_encoded(client_header)
        if client != self.client:
            return self._refuse(
                500,
                "Server.ClientProxy.UnknownMember",
                f"client {client_header!r} is not a client of this security server",
            )
        provider = SubsystemId(*segments[1:5])
        if provider != self.service:
            return self._refuse(
                500, "Server.ClientProxy.UnknownMember", f"no provider {provider} in X-Road"
            )
        if self.user_id is not None and headers.get("x-road-userid") != self.user_id:
            return self._refuse(
                400, "Client.BadRequest", "the X-Road-UserId header is not the configured user"
            )
        code, rest = segments[5], segments[6:]
        if code not in _METASERVICES and code != self.service_code:
            return self._refuse(500, "Server.ServerProxy.UnknownService", f"no service {code}")
        if self._failure is Failure.SLOW:
            reply = self._passed(200, _dump({"slow": True}), headers, body)
            reply.delay = self.timeout_seconds * 3
            return reply
        if self._failure is Failure.UNAVAILABLE:
            return self._fault(
                500,
                "Server.ClientProxy.NetworkError",
                "Could not connect to any target host (the provider's security server)",
            )
        if self._canned is not None and self._canned.xroad_error is not None:
            return self._fault(
                self._canned.status, self._canned.xroad_error, "", body=self._canned.body
            )
        if code in _METASERVICES:
            if method != "GET" or rest:
                return self._problem(405, "METHOD_NOT_ALLOWED", "metaservices answer GET only")
            return self._passed(200, _dump(self._services(code)), headers, body)
        if not self.access_granted:
            return self._fault(
                500,
                "Server.ServerProxy.AccessDenied",
                f"Request is not allowed: SERVICE:{self.service}/{code}",
            )
        if self._canned is not None:
            reply = self._passed(self._canned.status, self._canned.body, headers, body)
            reply.headers["Content-Type"] = self._canned.content_type
            reply.truncate = self._canned.truncate
            return reply
        if self._failure is Failure.REJECT:
            return self._passed_problem(422, "VALIDATION_FAILED", "application refused", headers)
        return self._provider(method, rest, headers, body)

    def _provider(
        self, method: str, rest: list[str], headers: Mapping[str, str], body: bytes
    ) -> _Reply:
        if method == "POST" and not rest:
            return self._submit(headers, body)
        if not rest or rest[0] not in self._applications:
            return self._passed_problem(404, "NOT_FOUND", "no such application", headers)
        application = self._moved_on(self._applications[rest[0]])
        if method == "GET" and len(rest) == 1:
            return self._passed(200, _dump(_view(application)), headers, body)
        if method == "POST" and rest[1:] == ["cancel"]:
            return self._cancel(application, headers, body)
        return self._passed_problem(405, "METHOD_NOT_ALLOWED", "not part of the service", headers)

    def _submit(self, headers: Mapping[str, str], body: bytes) -> _Reply:
        key = headers.get("idempotency-key", "")
        if not key:
            return self._passed_problem(400, "IDEMPOTENCY_KEY_MISSING", "no key", headers)
        if not headers.get("content-type", "").startswith("application/json"):
            return self._passed_problem(415, "UNSUPPORTED_MEDIA_TYPE", "JSON only", headers)
        document = _load(body)
        if document is None or document.get("idempotency_key") != key:
            return self._passed_problem(400, "INVALID_APPLICATION", "unreadable", headers)
        known = self._by_key.get(key)
        if known is not None:
            application = self._applications[known]
            if application.document != document:
                return self._passed_problem(409, "KEY_REUSED", "another application", headers)
            return self._passed(200, _dump(_view(self._moved_on(application))), headers, body)
        reference = f"XR-{len(self._applications) + 1:06d}"
        now = self._clock()
        application = _Application(reference, key, document, received_at=now)
        self._applications[reference] = application
        self._by_key[key] = reference
        answer = {**_view(application), "received_at": datetime.fromtimestamp(now, UTC).isoformat()}
        return self._passed(201, _dump(answer), headers, body)

    def _cancel(self, application: _Application, headers: Mapping[str, str], body: bytes) -> _Reply:
        document = _load(body)
        if document is None or not isinstance(document.get("reason"), str):
            return self._passed_problem(400, "REASON_MISSING", "give a reason", headers)
        if application.status in _CLOSED:
            return self._passed_problem(409, "ALREADY_CLOSED", application.status, headers)
        application.status = "WITHDRAWN"
        return self._passed(200, _dump(_view(application)), headers, body)

    def _moved_on(self, application: _Application) -> _Application:
        """The application once ``progress`` has had its say; call with the lock held."""
        if self._progress is not None:
            elapsed = self._clock() - application.received_at
            step = self._progress(application.status, application.document, elapsed)
            if step is not None:
                application.status, application.note = step
        return application

    def _services(self, metaservice: str) -> dict[str, Any]:
        if metaservice == "allowedMethods" and not self.access_granted:
            return {"service": []}
        return {
            "service": [
                {
                    "xroad_instance": self.service.instance,
                    "member_class": self.service.member_class,
                    "member_code": self.service.member_code,
                    "subsystem_code": self.service.subsystem_code,
                    "service_code": self.service_code,
                    "object_type": "SERVICE",
                    "service_type": "REST",
                    "endpoint_list": [
                        {"method": "POST", "path": "/"},
                        {"method": "GET", "path": "/*"},
                        {"method": "POST", "path": "/*/cancel"},
                    ],
                }
            ]
        }

    def _message_id(self, headers: Mapping[str, str]) -> str:
        sent = headers.get("x-road-id")
        message_id = sent if sent and self.honour_client_message_ids else str(uuid.uuid4())
        while message_id in self._issued_ids:
            message_id = str(uuid.uuid4())
        self._issued_ids.add(message_id)
        return message_id

    def _passed(
        self, status: int, answer: bytes, headers: Mapping[str, str], request_body: bytes
    ) -> _Reply:
        """An answer of the provider service, with the headers its security server adds."""
        request_hash = hashlib.sha512(
            hashlib.sha512(repr(sorted(headers.items())).encode()).digest()
            + hashlib.sha512(request_body).digest()
        ).digest()
        return _Reply(
            status,
            answer,
            {
                "Content-Type": _JSON,
                "X-Road-Id": self._message_id(headers),
                "X-Road-Request-Id": str(uuid.uuid4()),
                "X-Road-Request-Hash": base64.b64encode(request_hash).decode(),
                "X-Road-Client": headers.get("x-road-client", ""),
                "X-Road-Service": f"{self.service.encoded()}/{self.service_code}",
            },
        )

    def _passed_problem(
        self, status: int, code: str, title: str, headers: Mapping[str, str]
    ) -> _Reply:
        reply = self._passed(status, _problem(status, code, title), headers, b"")
        reply.headers["Content-Type"] = "application/problem+json"
        return reply

    def _problem(self, status: int, code: str, title: str) -> _Reply:
        return _Reply(status, _problem(status, code, title), {"Content-Type": _JSON})

    def _fault(self, status: int, fault_type: str, message: str, *, body: bytes = b"") -> _Reply:
        """An X-Road fault: the security server's own answer, with no X-Road-Id."""
        return _Reply(
            status,
            body or _fault_body(fault_type, message),
            {"Content-Type": _JSON, "X-Road-Error": fault_type},
        )

    def _refuse(self, status: int, fault_type: str, message: str) -> _Reply:
        self.violations.append(f"{fault_type}: {message}")
        return self._fault(status, fault_type, message)


def _view(application: _Application) -> dict[str, Any]:
    view: dict[str, Any] = {
        "agency_reference": application.agency_reference,
        "status": application.status,
    }
    if application.note:
        view["note"] = application.note
    return view


def _fault_body(fault_type: str, message: str) -> bytes:
    return _dump({"type": fault_type, "message": message, "detail": str(uuid.uuid4())})


def _problem(status: int, code: str, title: str) -> bytes:
    return _dump({"type": "about:blank", "code": code, "title": title, "status": status})


def _dump(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document).encode()


def _load(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return document if isinstance(document, dict) else None


class _Server(ThreadingHTTPServer):
    block_on_close = False
    """The standard library joins only non-daemon threads: :meth:`join_handlers` joins ours."""

    def __init__(self, fake: XRoadFake, address: tuple[str, int]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.fake = fake
        self.closing = threading.Event()
        """Set on shutdown: wakes a handler made slow, which then drops its connection."""
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._handlers: list[threading.Thread] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        """One daemon thread per connection (a forgotten server never holds up the interpreter's
        exit), kept so that stopping can join it."""
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self._handlers = [handler for handler in self._handlers if handler.is_alive()]
        self._handlers.append(thread)
        thread.start()

    def join_handlers(self) -> None:
        """Wait for every connection's thread; after ``shutdown`` (no thread starts any more)
        and ``cut_connections`` (none waits for its client any more)."""
        for handler in self._handlers:
            handler.join()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if not open_:
                self._connections.discard(connection)
            elif self.closing.is_set():
                # Accepted just before the stop and missed by ``cut_connections``.
                _cut(connection)
            else:
                self._connections.add(connection)

    def cut_connections(self) -> None:
        """Hang up on the connections clients keep alive: their threads can then be joined."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            _cut(connection)


def _cut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake.handle(self.command, self.path, headers, body)
        if reply.delay and self.server.closing.wait(reply.delay):
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        announced = len(reply.body) + (64 if reply.truncate else 0)
        self.send_header("Content-Length", str(announced))
        if reply.truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the exchanges are kept in :attr:`XRoadFake.exchanges`."""


class FakeSecurityServer:
    """The fake's HTTP server on a thread, started and stopped from synchronous code.

    Stopping cuts the connections clients keep alive, then joins every thread
    that served them: nothing of the server outlives :meth:`stop`, and its port
    can be bound again at once.
    """

    def __init__(
        self,
        fake: XRoadFake,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._server = _Server(fake, (host, port))
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "http" if tls is None else "https"
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-xroad-{self.port}",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.cut_connections()
        self._server.server_close()
        if self._thread.is_alive():
            self._thread.join()
        self._server.join_handlers()


@asynccontextmanager
async def xroad_harness(
    *,
    honour_client_message_ids: bool = True,
    user_id: str | None = USER_ID,
    server_tls: ssl.SSLContext | None = None,
) -> AsyncIterator[XRoadFake]:
    """Start the fake and yield it with settings pointing a connector at it.

    ``server_tls`` serves HTTPS with that context (a test makes it demand a
    client certificate); the TLS settings a connector then needs are the test's.
    """
    fake = XRoadFake(honour_client_message_ids=honour_client_message_ids, user_id=user_id)
    server = FakeSecurityServer(fake, tls=server_tls)
    settings: dict[str, Any] = {
        "security_server_url": f"{server.scheme}://127.0.0.1:{server.port}",
        "client": CLIENT,
        "service": SERVICE,
        "service_code": SERVICE_CODE,
        "timeout_seconds": TIMEOUT_SECONDS,
    }
    if user_id is not None:
        settings["user_id"] = user_id
    fake.settings = settings
    server.start()
    try:
        yield fake
    finally:
        # Joining the server's threads blocks: not on the event loop's thread.
        await asyncio.to_thread(server.stop)
