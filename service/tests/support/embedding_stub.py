"""A local OpenAI-compatible embeddings server over real HTTP (loopback, in a thread).

Embeddings are deterministic hashed bags of words: texts sharing words have a
high cosine similarity, so a query about a topic ranks that topic's document
first.  The stub can be told to be slow, to return a wrong dimension or a wrong
number of vectors, all-zero vectors for some texts, to fail a number of times
before succeeding, to echo the caller's credentials in its error messages (as
some proxies do), or to serve another model of the same dimension (``model``).
It answers in base64 when asked (``encoding_format``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

_TOKEN = re.compile(r"\w+", re.UNICODE)


def stub_vector(text: str, dimension: int, *, model: str = "") -> np.ndarray:
    """The stub's embedding of ``text``: signed hashed bag of lower-cased words (the hash salted with ``model``)."""
    vector = np.zeros(dimension, dtype=np.float64)
    tokens = _TOKEN.findall(text.lower())
    for token in tokens:
        digest = hashlib.sha256((model + token).encode("utf-8")).digest()
        index = int.from_bytes(digest[:4], "little") % dimension
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    if not tokens or not vector.any():
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        vector[int.from_bytes(digest[:4], "little") % dimension] = 1.0
    return vector / np.linalg.norm(vector)


@dataclass
class StubState:
    """What the stub does next; tests mutate it (under ``lock``)."""

    dimension: int = 64
    delay: float = 0.0
    wrong_dimension: bool = False
    wrong_count: bool = False
    failures_left: int = 0
    failure_status: int = 500
    zero_for: frozenset[str] = frozenset()
    model: str = ""  # another value serves another model: vectors of the same dimension, pointing elsewhere
    echo_credentials: bool = False
    api_key: str | None = None
    on_request: Callable[[], None] | None = None
    requests: list[list[str]] = field(default_factory=list)
    encodings: list[str | None] = field(default_factory=list)
    attempts: int = 0
    # Bumped by each reset: a request still in flight from before it (a test that timed out) records nothing.
    epoch: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class EmbeddingStub:
    """Serve ``POST /v1/embeddings`` on 127.0.0.1 in a background thread."""

    def __init__(self, dimension: int = 64, port: int = 0) -> None:
        self.state = StubState(dimension=dimension)
        self.stopped = False
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if stub.stopped:  # a stopped server answers nothing, even on a kept-alive connection
                    self.close_connection = True
                    return
                status, body = stub.handle(self.path, dict(self.headers), raw)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedding-stub", daemon=True)

    @property
    def url(self) -> str:
        """Base URL including ``/v1`` (the OpenAI SDK convention)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> EmbeddingStub:
        self._thread.start()
        return self

    def serve(self) -> None:
        """Serve in the calling thread until the process ends."""
        self._server.serve_forever()

    def stop(self) -> None:
        self.stopped = True
        self._server.shutdown()
        self._server.server_close()

    def reset(self, dimension: int = 64) -> None:
        with self.state.lock:
            self.state.dimension = dimension
            self.state.delay = 0.0
            self.state.wrong_dimension = False
            self.state.wrong_count = False
            self.state.failures_left = 0
            self.state.failure_status = 500
            self.state.zero_for = frozenset()
            self.state.model = ""
            self.state.echo_credentials = False
            self.state.api_key = None
            self.state.on_request = None
            self.state.requests.clear()
            self.state.encodings.clear()
            self.state.attempts = 0
            self.state.epoch += 1

    def fail_next(self, times: int, status: int = 500) -> None:
        with self.state.lock:
            self.state.failures_left = times
            self.state.failure_status = status

    @property
    def texts_embedded(self) -> int:
        """How many texts the stub has embedded since the last reset."""
        with self.state.lock:
            return sum(len(batch) for batch in self.state.requests)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        """Answer one request (runs in a server thread)."""
        state = self.state
        with state.lock:
            state.attempts += 1
            epoch = state.epoch
            delay, hook = state.delay, state.on_request
            failing = state.failures_left > 0
            if failing:
                state.failures_left -= 1
            status_on_failure = state.failure_status
        if hook is not None:
            hook()
        if delay:
            time.sleep(delay)
        if not path.rstrip("/").endswith("/embeddings"):
            return 404, {"error": {"message": f"no route {path}"}}
        echo = (
            f" (you sent {headers.get('Authorization')!r} to {headers.get('Host')})" if state.echo_credentials else ""
        )
        if state.api_key and headers.get("Authorization") != f"Bearer {state.api_key}":
            return 401, {"error": {"message": "bad api key" + echo}}
        if failing:
            return status_on_failure, {"error": {"message": "injected failure" + echo}}
        try:
            request = json.loads(raw)
        except ValueError:
            return 400, {"error": {"message": "invalid json"}}
        inputs = request.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        with state.lock:
            if state.epoch == epoch:
                state.requests.append(texts)
                state.encodings.append(request.get("encoding_format"))
            dimension = state.dimension + (1 if state.wrong_dimension else 0)
            wrong_count, zero_for, model = state.wrong_count, state.zero_for, state.model
        vectors = [
            np.zeros(dimension) if text in zero_for else stub_vector(text, dimension, model=model) for text in texts
        ]
        as_base64 = request.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": i, "embedding": _encoded(vector, as_base64=as_base64)}
            for i, vector in enumerate(vectors)
        ]
        if wrong_count:
            data = data[:-1]
        return 200, {
            "object": "list",
            "data": data,
            "model": request.get("model", "stub"),
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }


def _encoded(vector: np.ndarray, *, as_base64: bool) -> Any:
    """An embedding as the API sends it: a list of floats, or base64 of little-endian float32."""
    if as_base64:
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return vector.tolist()


def main() -> None:
    """``python -m tests.support.embedding_stub PORT [DIMENSION]``: serve until killed (benchmarks use it)."""
    port, dimension = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 384
    stub = EmbeddingStub(dimension=dimension, port=port)
    print(f"embeddings stub on {stub.url}, {dimension} dimensions", flush=True)
    stub.serve()


if __name__ == "__main__":
    main()
