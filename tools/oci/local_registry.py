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

import subprocess
from dataclasses import dataclass
from pathlib import Path

from loopback_ports import run_start_script, start_on_free_ports
from transfer import registry_received, tree_bytes

SCRIPT = Path(__file__).with_name("local_registry.sh")


class LocalRegistryError(Exception):
    """The registry did not start; the message holds local_registry.sh's own (its log, what to install)."""


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

        Ports it chooses itself are chosen again, up to three times, if another
        process bound one between choosing it and the registry's start.
        """

        def start_on(ports: list[int]) -> LocalRegistry:
            registry_port, metrics_port = ports
            command = [str(SCRIPT), "start", str(directory), str(registry_port)]
            command += ["--read-only"] if read_only else []
            command += ["--metrics", str(metrics_port)] if metrics else []
            command += ["--auth", auth] if auth is not None else []
            run_start_script(command, LocalRegistryError)
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics" if metrics else ""
            return cls(directory, f"127.0.0.1:{registry_port}", metrics_url)

        return start_on_free_ports(2, start_on, first=port, failure=LocalRegistryError)

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
