"""The HTTP remote cache (nginx_cache.sh beside this file) as tools/bench and the push tests run it.

cache = NginxCache.start(tmp / "cache")
... bazel build --remote_cache=cache.url ...
cache.gets(), cache.stored_bytes()
cache.stop()
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from loopback_ports import run_start_script, start_on_free_ports
from transfer import log_requests, tree_bytes

SCRIPT = Path(__file__).with_name("nginx_cache.sh")
LOG_SECONDS = 10.0
"""How long :meth:`NginxCache.gets` waits for the lines it expects."""


class NginxCacheError(Exception):
    """The cache did not start; the message holds nginx_cache.sh's own (what to install, nginx's error)."""


@dataclass(frozen=True)
class NginxCache:
    """A running cache: its directory (data/ holds the entries, access.log the requests) and its URL."""

    directory: Path
    url: str

    @classmethod
    def start(cls, directory: Path, *, port: int | None = None, nginx: Path | None = None) -> NginxCache:
        """Starts one on loopback `port` (or a free one), running `nginx` (default: the host's); stop() stops it.

        A port it chooses itself is chosen again, up to three times, if
        another process bound it between choosing it and nginx's start.
        """
        env = os.environ | ({"NGINX_BIN": str(nginx)} if nginx else {})

        def start_on(ports: list[int]) -> NginxCache:
            command = [str(SCRIPT), "start", str(directory), str(ports[0])]
            return cls(directory, run_start_script(command, NginxCacheError, env=env))

        return start_on_free_ports(1, start_on, first=port, failure=NginxCacheError)

    def stop(self) -> None:
        """Stops it (its entries stay)."""
        subprocess.run([str(SCRIPT), "stop", str(self.directory)], capture_output=True, check=False)

    @property
    def log(self) -> Path:
        """Its access log: a line per request with the bytes it moved (transfer.py reads it)."""
        return self.directory / "access.log"

    def stored_bytes(self) -> int:
        """Bytes its entries take."""
        return tree_bytes(self.directory / "data")

    def put(self, digest: str, data: bytes) -> None:
        """Stores a blob as Bazel does: under cas/<sha256 hex>."""
        path = self.directory / "data" / "cas" / digest.removeprefix("sha256:")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def gets(self, *, at_least: int = 0, timeout: float = LOG_SECONDS) -> list[str]:
        """The URIs of the GETs it served (200), in order; first waits up to `timeout` s for `at_least` of them.

        nginx logs a request after it has sent the answer, so a client that
        has its answer may look before the line is written.
        """
        deadline = time.monotonic() + timeout
        while len(found := self._logged_gets()) < at_least and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def _logged_gets(self) -> list[str]:
        logged = log_requests(self.log) if self.log.exists() else []
        return [request.uri for request in logged if request.method == "GET" and request.status == "200"]
