"""Small HTTP servers of a test's own, on a free loopback port, for answers a real server does not give.

A test subclasses :class:`QuietHandler` for what its server answers, and
:func:`serve` runs the server in a thread until the test ends::

    server = loopback_http.serve(self, http.server.ThreadingHTTPServer(loopback_http.ANY_PORT, Handler))
    url = "http://" + loopback_http.host(server)
"""

from __future__ import annotations

import http.server
import threading
import unittest
from collections.abc import Mapping
from typing import Any, TypeVar

ANY_PORT = ("127.0.0.1", 0)
"""The address to make a server with: loopback, a port the kernel picks."""

Server = TypeVar("Server", bound=http.server.HTTPServer)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that writes no access log and answers with one call, :meth:`reply`."""

    def reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        """Sends `status`, `headers`, a Content-Length and `body`."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Writes nothing: the test's output is its own."""


def serve(test: unittest.TestCase, server: Server) -> Server:
    """Serves `server` in a daemon thread until `test` ends (then shuts it down and closes its socket)."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    test.addCleanup(server.server_close)
    test.addCleanup(server.shutdown)
    return server


def host(server: http.server.HTTPServer) -> str:
    """`127.0.0.1:<port>` of a server made on :data:`ANY_PORT`."""
    return f"127.0.0.1:{server.server_address[1]}"
