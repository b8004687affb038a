# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP: a threading server that moves bytes between sockets and Emulator.dispatch."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import API_PREFIX, DEFAULT_MANAGEMENT_KEY, ApiError, Reply
from .state import Emulator


class _Handler(BaseHTTPRequestHandler):
    """Moves bytes between the socket and Emulator.dispatch, with HTTP/1.1 keep-alive and exact Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server: EmulatorServer

    def _handle(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # The body can't be skipped without decoding it, so the connection can't be reused either.
            self.close_connection = True
            self._send(ApiError(411, "Send a Content-Length, chunked bodies are not supported").reply())
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(ApiError(400, "Invalid Content-Length").reply())
            return
        raw_body = self.rfile.read(length)
        try:
            reply = self.server.emulator.dispatch(self.command, self.path, self.headers.get("Authorization"), raw_body)
        except Exception:  # pylint: disable=broad-except
            # An emulator bug must reach the test as a 500 it can see, not as a hung or dropped connection.
            traceback.print_exc()
            reply = ApiError(500, "Internal Server Error").reply()
        if reply.drop:
            # No byte of a response: the client sees the connection closed (requests raises ConnectionError).
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may be gone already
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server around one Emulator."""

    daemon_threads = True
    request_queue_size = 128  # many test threads may connect at once

    def __init__(self, address: tuple[str, int], emulator: Emulator, verbose: bool = False):
        self.emulator = emulator
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        # A client that hangs up (after a delay fault, say) is normal here and not worth a traceback.
        if self.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"


def serve(
    port: int = 0,
    host: str = "127.0.0.1",
    management_key: str = DEFAULT_MANAGEMENT_KEY,
    state_file: str | None = None,
    verbose: bool = False,
) -> tuple[EmulatorServer, str]:
    """Start an emulator in a daemon thread; returns the server (stop it with shutdown()) and the API base URL."""
    server = EmulatorServer((host, port), Emulator(management_key, state_file), verbose)
    threading.Thread(target=server.serve_forever, name="openrouter-emulator", daemon=True).start()
    return server, server.base_url
