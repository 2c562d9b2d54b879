"""A stand-in OpenAI-compatible embeddings server for local trials of the base image.

    python3.11 embeddings_stub.py            # 0.0.0.0:$PORT (default 8080)

`POST /v1/embeddings` answers with hashed bags of words: each lower-cased word
adds +-1 to one of DIMENSION (default 384) coordinates picked by its sha256, and
the vector is normalised. Texts sharing words score high, so a query about one
topic ranks that topic's document first; there is no meaning beyond the words.
`GET /healthz` answers 200 for the compose healthcheck. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import signal
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_WORD = re.compile(r"\w+")


def embed(text: str, dimension: int) -> list[float]:
    """The unit vector of `text`'s hashed bag of words."""
    vector = [0.0] * dimension
    for word in _WORD.findall(text.lower()) or [text]:
        digest = hashlib.sha256(word.encode("utf-8", "surrogatepass")).digest()
        vector[int.from_bytes(digest[:4], "little") % dimension] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:  # words that cancel out: any fixed unit vector will do
        return [1.0] + [0.0] * (dimension - 1)
    return [x / norm for x in vector]


def answer(request: dict[str, Any], dimension: int) -> dict[str, Any]:
    """The OpenAI embeddings response to a (decoded JSON) request body."""
    inputs = request.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embed(str(text), dimension)
        encoded = base64.b64encode(struct.pack(f"<{dimension}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": request.get("model", "stub"),
        "usage": {"prompt_tokens": 0, "total_tokens": 0},
    }


class Handler(BaseHTTPRequestHandler):
    """Routes /v1/embeddings (with or without /v1) and /healthz."""

    protocol_version = "HTTP/1.1"
    dimension = int(os.environ.get("DIMENSION", "384"))

    def do_GET(self) -> None:
        """/healthz answers ok; anything else is 404."""
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        """An embeddings request: one deterministic vector per input."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self.path.rstrip("/").endswith("/embeddings"):
            self._reply(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            request = json.loads(body)
        except ValueError:
            self._reply(400, {"error": {"message": "invalid JSON"}})
            return
        self._reply(200, answer(request, self.dimension))

    def _reply(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


if __name__ == "__main__":
    # As PID 1 nothing stops on SIGTERM unless it says so.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Every interface: the stub runs in a container that others reach.
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler)  # noqa: S104
    host, port = server.server_address[:2]
    print(f"embeddings stub on {host!s}:{port}", flush=True)
    server.serve_forever()
