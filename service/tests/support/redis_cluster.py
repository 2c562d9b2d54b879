"""A real Redis Cluster on loopback: N primaries with one replica each, from one redis-server binary."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from loopback_ports import free_ports
from tests.support.redis_server import RedisServer

SLOTS = 16384


class RedisCluster:
    """``primaries`` primaries owning equal slot ranges, each with one replica; node timeout 1 s."""

    def __init__(self, binary: str, workdir: Path, primaries: int = 3) -> None:
        self.primaries = primaries
        # Explicit bus ports: the default (port + 10000) does not exist for ports above 55535. All chosen at once,
        # so no node's port is another's bus port.
        ports = free_ports(4 * primaries)
        self.bus_ports = ports[2 * primaries :]
        self.nodes = [
            RedisServer(
                binary,
                workdir / f"node{number}",
                port=port,
                extra_args=["--cluster-enabled", "yes", "--cluster-node-timeout", "1000", "--cluster-port", str(bus)],
            )
            for number, (port, bus) in enumerate(zip(ports[: 2 * primaries], self.bus_ports, strict=True))
        ]

    @property
    def url(self) -> str:
        """A URL of the first node (any node will do as a seed)."""
        return self.nodes[0].url

    def start(self) -> RedisCluster:
        """Start the nodes, join them, give the primaries their slots and the replicas their primaries.

        If any step fails, the nodes already started are stopped before the error goes on.
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        for node in self.nodes:
            node.start()
        ids = [self._call(node, "CLUSTER", "MYID").decode() for node in self.nodes]
        for node, bus in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
            self._call(self.nodes[0], "CLUSTER", "MEET", "127.0.0.1", node.port, bus)
        for number, node in enumerate(self.nodes[: self.primaries]):
            low, high = number * SLOTS // self.primaries, (number + 1) * SLOTS // self.primaries - 1
            self._call(node, "CLUSTER", "ADDSLOTSRANGE", low, high)
        self._wait(lambda: all(self._known(node) == len(self.nodes) for node in self.nodes), "the nodes to meet")
        for number, node in enumerate(self.nodes[self.primaries :]):
            self._call(node, "CLUSTER", "REPLICATE", ids[number])
        self._wait(self._healthy, "the cluster to be ok with every replica in sync")

    def primary_of(self, slot: int) -> RedisServer:
        """The node serving ``slot`` now."""
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                for entry in self._call(node, "CLUSTER", "SLOTS"):
                    if int(entry[0]) <= slot <= int(entry[1]):
                        port = int(entry[2][1])
                        return next(n for n in self.nodes if n.port == port)
            except redis.RedisError:
                continue
        raise RuntimeError(f"no node serves slot {slot}")

    def kill(self, node: RedisServer) -> None:
        """SIGKILL ``node`` (a crash: no shutdown, nothing saved)."""
        with node.client() as client:
            pid = int(client.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        if node.process is not None:
            node.process.wait(timeout=10)
        node.process = None

    def stop(self) -> None:
        """Stop every node still running."""
        for node in self.nodes:
            node.stop()

    def _healthy(self) -> bool:
        """Every node says cluster_state:ok and every replica's link to its primary is up."""
        for number, node in enumerate(self.nodes):
            with node.client() as client:
                if b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
                    return False
                if number >= self.primaries and client.info("replication").get("master_link_status") != "up":
                    return False
        return True

    def _known(self, node: RedisServer) -> int:
        """How many nodes ``node`` knows (itself included)."""
        return len(self._call(node, "CLUSTER", "NODES").decode().strip().splitlines())

    @staticmethod
    def _call(node: RedisServer, *command: object) -> Any:
        with node.client() as client:
            return client.execute_command(*command)

    @staticmethod
    def _wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except redis.RedisError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")
