"""The service as a real HTTP server: auth before the body, bounded waits, answers that reach the client.

These need real sockets (uvicorn in a subprocess): what a client sees when the
server rejects a request whose body it has not read, or when a client stalls.
"""

from __future__ import annotations

import json
import select
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.embedding_stub import EmbeddingStub
from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer

API_KEY = "conn-key"
LIMIT = 1024 * 1024
CLIENT_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(
    redis8_server: RedisServer, _stub_server: EmbeddingStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("live"),
        {
            "DOCINTEL_REDIS_URL": redis8_server.url,
            "DOCINTEL_OPENAI_BASE_URL": _stub_server.url,
            "DOCINTEL_EMBEDDING_MODEL": "stub",
            "DOCINTEL_API_KEY": API_KEY,
            "DOCINTEL_MAX_UPLOAD_BYTES": str(LIMIT),
            "DOCINTEL_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT),
        },
    ).start()
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_response(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_unauthenticated_body_is_not_read(server: LiveServer) -> None:
    with connect(server) as sock:
        head = (
            "POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {LIMIT - 10}\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"title": ')  # the rest of the body never comes
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 401 ")
    assert b'"unauthorized"' in response


def test_partial_headers_are_dropped(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\n")  # ... and nothing more
        start = time.monotonic()
        response = read_response(sock)
        elapsed = time.monotonic() - start
    assert response == b""  # closed without an answer
    assert elapsed < CLIENT_TIMEOUT + 5


def test_stalled_body_is_408(server: LiveServer) -> None:
    with connect(server) as sock:
        head = (
            "POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {API_KEY}\r\nContent-Length: 100\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"query"')
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in response


def test_a_body_sent_a_byte_at_a_time_is_408(server: LiveServer) -> None:
    # Each pause is shorter than the client timeout, so only the minimum rate ends it.
    with connect(server) as sock:
        head = (
            "POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {API_KEY}\r\nContent-Length: 100\r\n\r\n"
        )
        sock.sendall(head.encode())
        start = time.monotonic()
        answered_after = None
        for byte in b'{"query": "drip"':
            sock.sendall(bytes([byte]))
            if select.select([sock], [], [], CLIENT_TIMEOUT * 0.6)[0]:  # the server answered
                answered_after = time.monotonic() - start
                break
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 408 ")
    assert b"slower than 64 KiB/s" in response
    assert answered_after is not None, "the whole body was dripped in without an answer"


def urllib_post(server: LiveServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    """POST the way Python's urllib does: the whole body is sent before the answer is read."""
    request = urllib.request.Request(f"{server.url}{path}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def multipart(size: int) -> tuple[bytes, dict[str, str]]:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize("size", [LIMIT + 200_000, 2 * LIMIT])
def test_oversized_upload_gets_its_413(server: LiveServer, size: int) -> None:
    body, headers = multipart(size)
    status, payload = urllib_post(server, "/v1/documents/upload", body, {**headers, "X-API-Key": API_KEY})
    assert status == 413
    assert payload["error"]["code"] == "payload_too_large"  # type: ignore[index]


def test_unauthenticated_upload_gets_its_401(server: LiveServer) -> None:
    body, headers = multipart(LIMIT // 2)
    status, payload = urllib_post(server, "/v1/documents/upload", body, headers)
    assert status == 401
    assert payload["error"]["code"] == "unauthorized"  # type: ignore[index]


def test_server_stays_usable(server: LiveServer, tmp_path: Path) -> None:
    status, payload = urllib_post(
        server,
        "/v1/documents",
        json.dumps({"id": "ok", "title": "t", "text": "still serving"}).encode(),
        {"Content-Type": "application/json", "X-API-Key": API_KEY},
    )
    assert (status, payload) == (201, {"id": "ok", "chunks": 1})
