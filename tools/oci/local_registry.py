"""A docker-registry on loopback (local_registry.sh beside this file), for the tests and tools/bench.

    registry = LocalRegistry.start(tmp / "registry", metrics=True)
    ... push to registry.address ...
    registry.received(), registry.stored_bytes(), registry.blobs()
    registry.stop()

The registry is Debian's docker-registry, plain HTTP on 127.0.0.1, its
storage under the directory given; `metrics` serves its Prometheus metrics
on a second port, from which :meth:`LocalRegistry.received` reads the bytes
it was sent.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from transfer import registry_received, tree_bytes

SCRIPT = Path(__file__).with_name("local_registry.sh")


class LocalRegistryError(Exception):
    """The registry did not start; the message holds local_registry.sh's own (its log, what to install)."""


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LocalRegistry:
    """A running docker-registry: its directory, `host:port` address and metrics URL (empty without metrics)."""

    directory: Path
    address: str
    metrics: str = ""

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        port: int | None = None,
        metrics: bool = False,
        read_only: bool = False,
        auth: str | None = None,
    ) -> LocalRegistry:
        """Starts one on `port` (or a free one); `auth` is its config's auth section (YAML). stop() stops it."""
        port = port or free_port()
        command = [str(SCRIPT), "start", str(directory), str(port)] + (["--read-only"] if read_only else [])
        metrics_url = ""
        if metrics:
            metrics_port = free_port()
            command += ["--metrics", str(metrics_port)]
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        if auth is not None:
            command += ["--auth", auth]
        started = subprocess.run(command, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise LocalRegistryError((started.stderr.strip() or started.stdout.strip())[-2000:])
        return cls(directory, f"127.0.0.1:{port}", metrics_url)

    def stop(self) -> None:
        """Stops it (its storage stays)."""
        subprocess.run([str(SCRIPT), "stop", str(self.directory)], capture_output=True, check=False)

    def received(self) -> int:
        """Bytes it has been sent so far, headers and bodies, by its own count (needs `metrics`)."""
        if not self.metrics:
            raise LocalRegistryError(f"the registry on {self.address} was started without metrics")
        return registry_received(self.metrics)

    @property
    def storage(self) -> Path:
        """Its storage directory."""
        return self.directory / "storage"

    def stored_bytes(self) -> int:
        """Bytes its storage holds."""
        return tree_bytes(self.storage)

    def blobs(self) -> int:
        """How many blobs (layers, configs, manifests) its storage holds."""
        return sum(1 for _ in (self.storage / "docker" / "registry" / "v2" / "blobs").glob("sha256/*/*/data"))
