"""Redis Cluster: one plain client per store shard, connected to whichever primary serves the shard's slot.

All keys of a shard share one hash tag (:func:`shard_prefixes`), so a shard
(documents, chunks, vector set, pending list) lives in one hash slot and its
WATCH/MULTI transactions work as on a single node.  Shard ``i`` of ``n`` gets
a tag whose slot lies in the ``i``-th of ``n`` equal slot ranges: on a cluster
whose primaries own equal ranges (as ``redis-cli --cluster create`` makes
them), ``n`` = the number of primaries puts one shard on each.

A shard's connections ask :class:`ClusterMap` which node serves its slot each
time they connect.  The map is read with ``CLUSTER SLOTS`` from any node that
answers and read again after a connection fails or a node answers ``MOVED`` or
``READONLY`` (a failed-over primary that came back as a replica): after a
failover the next connection reaches the promoted replica, with no restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import Connection, parse_url
from redis.crc import key_slot
from redis.exceptions import MovedError, ReadOnlyError
from redis.retry import Retry

from docintel.core.config import Settings

__all__ = ["ClusterMap", "cluster_clients", "shard_prefixes"]

logger = logging.getLogger(__name__)

SLOTS = 16384
_MAP_MAX_AGE = 1.0
"""Seconds a connection may rely on the map before reading it again when it (re)connects."""

Address = tuple[str, int]


def shard_prefixes(prefix: str, shards: int) -> list[str]:
    """Key prefixes ``{prefix-i-j}`` whose slots fall one into each of ``shards`` equal slot ranges."""
    prefixes = []
    for index in range(shards):
        low, high = index * SLOTS // shards, (index + 1) * SLOTS // shards
        suffix = 0
        while not low <= key_slot(f"{prefix}-{index}-{suffix}".encode()) < high:
            suffix += 1
        prefixes.append(f"{{{prefix}-{index}-{suffix}}}")
    return prefixes


class ClusterMap:
    """Which node is the primary of each slot, as the cluster last said."""

    def __init__(self, seeds: Sequence[Address], *, connection: dict[str, Any]) -> None:
        """Ask ``seeds`` (and every node learnt since) with ``connection`` settings (password, timeouts)."""
        self._nodes = list(seeds)
        self._connection = connection
        self._ranges: list[tuple[int, int, Address]] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def primary(self, slot: int) -> Address:
        """The address of the primary serving ``slot`` (reading the map if it is old)."""
        with self._lock:
            if time.monotonic() - self._read_at > _MAP_MAX_AGE:
                self._read()
            for start, end, address in self._ranges:
                if start <= slot <= end:
                    return address
        raise redis.ConnectionError(f"no Redis Cluster primary serves slot {slot} (the cluster is not ready)")

    def forget(self) -> None:
        """Read the map again at the next connection."""
        self._read_at = float("-inf")

    def _read(self) -> None:
        """``CLUSTER SLOTS`` from the first node that answers; remember every node it names."""
        errors = []
        for host, port in list(self._nodes):
            try:
                with redis.Redis(host=host, port=port, **self._connection) as client:
                    reply = client.execute_command("CLUSTER", "SLOTS")
            except redis.RedisError as exc:
                errors.append(f"{host}:{port}: {exc}")
                continue
            self._ranges = [(int(entry[0]), int(entry[1]), _address(entry[2])) for entry in reply]
            named = [_address(node) for entry in reply for node in entry[2:]]
            self._nodes = list(dict.fromkeys([*named, *self._nodes]))
            self._read_at = time.monotonic()
            return
        raise redis.ConnectionError(f"no Redis Cluster node answered ({'; '.join(errors)})")


class SlotConnection(Connection):
    """A connection to the primary of one slot, found anew at every (re)connect."""

    def __init__(self, *, cluster_map: ClusterMap, slot: int, **kwargs: Any) -> None:
        """Connect like :class:`redis.connection.Connection` (``kwargs``), to ``cluster_map``'s primary of ``slot``."""
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self._cluster_map = cluster_map
        self._slot = slot

    def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        """Connect to the slot's current primary (the map is read again after a connection failed)."""
        if self._sock is not None:
            return
        self.host, self.port = self._cluster_map.primary(self._slot)
        try:
            super().connect_check_health(check_health=check_health, retry_socket_connect=retry_socket_connect)
        except redis.ConnectionError:
            self._cluster_map.forget()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        """A reply; ``MOVED`` or ``READONLY`` (the slot has another primary now) drop the connection, as a failure."""
        try:
            return super().read_response(*args, **kwargs)
        except (MovedError, ReadOnlyError) as exc:
            self._cluster_map.forget()
            self.disconnect()  # type: ignore[no-untyped-call]
            raise redis.ConnectionError(f"the slot's primary changed ({exc}); reconnecting") from exc


def cluster_clients(settings: Settings, prefixes: Sequence[str]) -> list[redis.Redis]:
    """One client per shard prefix (or key), each on its slot's primary in the cluster ``settings.redis_url`` names."""
    if settings.redis_url.lower().startswith("rediss://"):
        raise ValueError(
            "DOCINTEL_REDIS_CLUSTER does not support TLS (rediss://) yet: the cluster's nodes would be reached "
            "without it; use redis:// on a network you trust, or one Redis without DOCINTEL_REDIS_CLUSTER"
        )
    url = parse_url(settings.redis_url)  # type: ignore[no-untyped-call]
    connection = {
        "username": url.get("username"),
        "password": url.get("password"),
        "socket_timeout": settings.redis_socket_timeout,
        "socket_connect_timeout": settings.redis_connect_timeout,
    }
    cluster_map = ClusterMap([(str(url.get("host", "localhost")), int(url.get("port", 6379)))], connection=connection)
    clients = []
    for prefix in prefixes:
        pool = redis.ConnectionPool(
            connection_class=SlotConnection,
            cluster_map=cluster_map,
            slot=key_slot(prefix.encode()),
            retry=Retry(ExponentialBackoff(cap=0.25, base=0.05), retries=2, supported_errors=(redis.ConnectionError,)),
            **connection,
        )
        clients.append(redis.Redis(connection_pool=pool))
    return clients


def _address(node: Sequence[Any]) -> Address:
    """(host, port) of a node entry of ``CLUSTER SLOTS``."""
    host = node[0].decode() if isinstance(node[0], bytes) else str(node[0])
    return host, int(node[1])
