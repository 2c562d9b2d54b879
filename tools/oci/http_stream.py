"""Plain HTTP(S) requests with streamed bodies, for the registry and remote-cache clients.

    status, headers, body = request("GET", url, headers={...})
    with stream("GET", url) as response: response.read(CHUNK) ...
    request("PATCH", url, body=iter_of_bytes, headers={"Content-Length": str(size)})

A body that is an iterator is sent as it comes, never held whole: when the
iterator raises, the request is cut off mid-body and the server never sees
it complete. Network failures raise HttpError naming the server (never a
password in its URL).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from email.message import Message
from urllib.parse import urlsplit, urlunsplit

CHUNK = 1 << 20
TIMEOUT_SECONDS = 120.0

Body = bytes | Iterable[bytes] | None


class HttpError(Exception):
    """The server could not be reached, or the connection broke."""


def redact(url: str) -> str:
    """`url` without a user name or password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    """A connection to `url`'s server, and the request target (path and query)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http(s) URL: {redact(url)}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        context = ssl.create_default_context()
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS, context=context), target
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS), target


@contextmanager
def stream(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: Body = None
) -> Iterator[http.client.HTTPResponse]:
    """Sends a request and yields the response, unread; the connection closes after."""
    connection, target = _connection(url)
    try:
        try:
            connection.request(method, target, body=body, headers=headers or {}, encode_chunked=False)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise HttpError(f"{method} {redact(url)}: {_reason(error)}") from None
        yield response
    finally:
        connection.close()


def request(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: Body = None
) -> tuple[int, Message, bytes]:
    """Sends a request; the status, headers and whole body of the response."""
    with stream(method, url, headers=headers, body=body) as response:
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise HttpError(f"{method} {redact(url)}: {_reason(error)}") from None
        return response.status, response.headers, data


def _reason(error: BaseException) -> str:
    """A failure in words: `connection refused`, `timed out`, ..."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error}); for a plain-HTTP server use --insecure"
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    return str(error) or type(error).__name__
