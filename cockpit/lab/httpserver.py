"""Provides the HTTP(S) server every simulator builds on: threaded, HTTP/1.1, faults applied first.

The standard library server is enough here and gives exact control over what a real server
sends: the status line's reason phrase (Proxmox puts its error message there), the content type
byte for byte (AdGuard Home's rule), and empty bodies.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cockpit.lab.faults import WRITE_TIMEOUT_S, Faults

LOGINS = ("/control/login", "/api/auth", "/api/auth/login")


class LabHTTPServer(ThreadingHTTPServer):
    """One listening simulator; `backend` names its entry in the fault switchboard (or None)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        faults: Faults,
        backend: str | None = None,
        tls: ssl.SSLContext | None = None,
        app: Any = None,
    ) -> None:
        super().__init__(address, handler)
        self.faults = faults
        self.backend = backend
        self.app = app  # the simulator's state, for its handler
        self.tls = tls
        self._thread: threading.Thread | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a killed cockpit) is normal here: no traceback on stderr."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class LabHandler(BaseHTTPRequestHandler):
    """Applies the backend's faults, then hands the request to `route()`."""

    protocol_version = "HTTP/1.1"
    server: LabHTTPServer
    server_version = "lab"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # a simulator is quiet; tests read what it answered, not its log

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without NODELAY the client's delayed ACK adds ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        # One handler object serves every request of a keep-alive connection: forget the last body.
        self.__dict__.pop("_body", None)
        return super().parse_request()

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- request ------------------------------------------------------------------------------

    @property
    def app(self) -> Any:
        return self.server.app

    @property
    def url_path(self) -> str:
        """The path as sent, still percent-encoded (some APIs put encoded items in it)."""
        return urlsplit(self.path).path

    @property
    def decoded_path(self) -> str:
        return unquote(self.url_path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    def body(self) -> bytes:
        if not hasattr(self, "_body"):
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        return self._body

    def json_body(self) -> Any:
        """The body as JSON; raises ValueError on anything else (each simulator maps it its own way)."""
        return json.loads(self.body() or b"null")

    # -- response -----------------------------------------------------------------------------

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.body()  # drain the request body so keep-alive stays in step
        self.send_response(status, reason)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, payload: Any, content_type: str = "application/json", **kw: Any) -> None:
        self.send(status, json.dumps(payload).encode() + b"\n", content_type, **kw)

    def send_text(self, status: int, text: str, **kw: Any) -> None:
        self.send(status, text.encode(), "text/plain; charset=utf-8", **kw)

    # -- faults -------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        backend = self.server.backend
        if backend is not None:
            fault = self.server.faults.backend(backend)
            if fault.down:
                self.abort()
                return
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if self.server.faults.take_error(backend):
                self.fault_error()
                return
            if self.is_write():
                if fault.write_latency_ms:
                    time.sleep(fault.write_latency_ms / 1000)
                if self._write_fault(backend):
                    return
        self.route()

    def is_write(self) -> bool:
        """A request that changes the backend (a login or logout is not a write: it must still pass)."""
        if self.url_path.rstrip("/").endswith(LOGINS):
            return False
        return self.command in ("PUT", "DELETE", "PATCH", "POST")

    def _write_fault(self, backend: str) -> bool:
        kind = self.server.faults.take_write_fault(backend)
        if kind == "down":
            self.abort()
        elif kind == "error":
            self.fault_error()
        elif kind == "timeout":
            time.sleep(WRITE_TIMEOUT_S)
            self.abort()
        return kind is not None

    def abort(self) -> None:
        """Reset the connection without an answer: what a client sees of a backend that is down."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def fault_error(self) -> None:
        """An injected failure; simulators answer it in their backend's own error shape."""
        self.send_text(500, "injected fault\n")

    def route(self) -> None:
        raise NotImplementedError
