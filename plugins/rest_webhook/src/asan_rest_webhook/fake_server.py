"""The HTTP plumbing under :class:`~asan_rest_webhook.fake_agency.FakeAgency`.

A standard-library threaded server, so that the fake runs beside any event
loop (pytest's, the contract kit's) without sharing it: a slow answer blocks a
server thread, never the connector under test. Connections are tracked so that
stopping the server really cuts the agency off, including the keep-alive
connections an HTTP client holds in its pool; once they are cut, stopping waits
for every thread that served them, so that nothing of the server outlives it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """What the agency does with one request."""

    status: int = 200
    document: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    """Hold the answer this long (a slow agency); cut short when the server stops."""
    drop: bool = False
    """Close the connection without answering (an answer lost on the way)."""
    raw_body: bytes | None = None
    """Send these bytes instead of ``document`` (a proxy's HTML page, a broken agency)."""
    cut_short: bool = False
    """Announce the whole body but send only half of it, then close."""


Responder = Callable[[str, str, Mapping[str, str], bytes], Answer]
"""``(method, request target, headers, body) -> Answer``."""


class _Server(ThreadingHTTPServer):
    block_on_close = False
    """The standard library joins only non-daemon threads: :meth:`join_handlers` joins ours."""
    request_queue_size = 1024
    """The standard library's backlog of 5 drops connections a concurrent client opens at once."""

    def __init__(self, address: tuple[str, int], responder: Responder) -> None:
        self.responder = responder
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._handlers: list[threading.Thread] = []
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if not open_:
                self._connections.discard(connection)
            elif self.stopping.is_set():
                # Accepted just before the stop and missed by ``cut_connections``: cut it here,
                # or joining its thread would wait for the client to hang up.
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            else:
                self._connections.add(connection)

    def cut_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

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

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, closed pool) is the point of some tests, not an error.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold every answer ~40 ms, which a 1,000-application run feels.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the agency's state, not its access log."""

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._write(Answer(413, {"error": "bad_length", "message": "Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        headers = {key: value for key, value in self.headers.items()}
        answer = self.server.responder(self.command, self.path, headers, body)
        if answer.delay_seconds and self.server.stopping.wait(answer.delay_seconds):
            answer = Answer(drop=True)
        if answer.drop or self.server.stopping.is_set():
            self.close_connection = True
            return
        self._write(answer)

    def _write(self, answer: Answer) -> None:
        if answer.raw_body is None:
            payload = json.dumps(answer.document).encode("utf-8")
        else:
            payload = answer.raw_body
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if answer.cut_short:
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(payload)


class FakeServer:
    """A threaded HTTP server on a loopback address (127.0.0.1 unless told otherwise) that can be
    stopped and started on the same port."""

    def __init__(self, responder: Responder, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self._responder = responder
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        server = _Server((self._host, self._port), self._responder)
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-agency-{self._port}",
            daemon=True,
        )
        self._server = server
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.cut_connections()
        server.server_close()
        thread.join()
        server.join_handlers()
