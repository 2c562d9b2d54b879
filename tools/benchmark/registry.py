"""The bench's loopback registry (tools/oci/local_registry.sh) and what its storage holds."""

from __future__ import annotations

import socket
from pathlib import Path

from commands import host
from transfer import registry_received, tree_bytes

LOCAL_REGISTRY = Path(__file__).resolve().parents[1] / "oci" / "local_registry.sh"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def registry_blobs(storage: Path) -> int:
    """How many blobs (layers, configs, manifests) a docker-registry's filesystem storage holds."""
    return sum(1 for _ in (storage / "docker" / "registry" / "v2" / "blobs").glob("sha256/*/*/data"))


class Registry:
    """A docker-registry on a free loopback port, its storage under `directory`, its metrics on another port."""

    def __init__(self, directory: Path) -> None:
        """Starts it; stop() stops it."""
        self.directory = directory
        self.address = f"127.0.0.1:{free_port()}"
        port, metrics_port = self.address.rsplit(":", 1)[1], str(free_port())
        self.metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        host([str(LOCAL_REGISTRY), "start", str(directory), port, "--metrics", metrics_port], check=True)

    def received(self) -> int:
        """Bytes it has received (its own count of request sizes, headers included)."""
        return registry_received(self.metrics)

    @property
    def storage(self) -> Path:
        """The registry's storage directory."""
        return self.directory / "storage"

    def stored_bytes(self) -> int:
        """Bytes the registry stores."""
        return tree_bytes(self.storage)

    def blobs(self) -> int:
        """Blobs the registry stores."""
        return registry_blobs(self.storage)

    def stop(self) -> None:
        """Stops the registry."""
        host([str(LOCAL_REGISTRY), "stop", str(self.directory)])
