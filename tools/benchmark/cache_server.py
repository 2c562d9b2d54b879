"""The bench's loopback HTTP remote cache (tools/cache/nginx_cache.sh): its URL, access log and contents."""

from __future__ import annotations

from pathlib import Path

from commands import host
from registry import free_port
from transfer import tree_bytes

NGINX_CACHE = Path(__file__).resolve().parents[1] / "cache" / "nginx_cache.sh"


class CacheServer:
    """nginx with WebDAV on a free loopback port, serving `directory`/data."""

    def __init__(self, directory: Path) -> None:
        """Starts it; stop() stops it."""
        self.directory = directory
        self.url = host([str(NGINX_CACHE), "start", str(directory), str(free_port())], check=True).stdout.strip()

    @property
    def log(self) -> Path:
        """Its access log: a line per request with the bytes it moved (tools/benchmark/transfer.py reads it)."""
        return self.directory / "access.log"

    def stored_bytes(self) -> int:
        """Bytes the cache holds."""
        return tree_bytes(self.directory / "data")

    def stop(self) -> None:
        """Stops it."""
        host([str(NGINX_CACHE), "stop", str(self.directory)])
