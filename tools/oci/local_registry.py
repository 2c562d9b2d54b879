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

import contextlib
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from transfer import registry_received, tree_bytes

SCRIPT = Path(__file__).with_name("local_registry.sh")
_ATTEMPTS = 3
"""Starts on fresh ports when another process took a free port first."""


class LocalRegistryError(Exception):
    """The registry did not start; the message holds local_registry.sh's own (its log, what to install)."""


def free_ports(count: int) -> list[int]:
    """`count` different loopback ports nothing listens on now."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [int(each.getsockname()[1]) for each in sockets]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    return free_ports(1)[0]


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
        """Starts one on `port` (or a free one); `auth` is its config's auth section (YAML). stop() stops it.

        Free ports are taken again, up to three times, if another process
        bound one between choosing it and the registry's start.
        """
        output = ""
        for _ in range(_ATTEMPTS):
            chosen, metrics_port = free_ports(2)
            registry_port = port or chosen
            command = [str(SCRIPT), "start", str(directory), str(registry_port)]
            command += ["--read-only"] if read_only else []
            command += ["--metrics", str(metrics_port)] if metrics else []
            command += ["--auth", auth] if auth is not None else []
            started = subprocess.run(command, capture_output=True, text=True, check=False)
            if started.returncode == 0:
                metrics_url = f"http://127.0.0.1:{metrics_port}/metrics" if metrics else ""
                return cls(directory, f"127.0.0.1:{registry_port}", metrics_url)
            output = (started.stderr.strip() or started.stdout.strip())[-2000:]
            if "address already in use" not in output:
                break
        raise LocalRegistryError(output)

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
