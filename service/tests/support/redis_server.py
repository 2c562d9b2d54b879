"""Start and stop a real redis-server on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from loopback_ports import PortTakenError, start_on_free_ports
from tests.support.processes import end_process

REDIS_ENV_VARS = {"7": "DOCINTEL_TEST_REDIS_7", "8": "DOCINTEL_TEST_REDIS_8"}


def redis_binary(version: str) -> str:
    """Path of the redis-server for ``version`` from its environment variable.

    Raises RuntimeError naming the variable to set when it is missing or wrong.
    """
    variable = REDIS_ENV_VARS[version]
    path = os.environ.get(variable)
    if not path:
        raise RuntimeError(
            f"{variable} is not set: set it to the path of a Redis {version}.x redis-server executable "
            f"(e.g. {variable}=/usr/bin/redis-server)"
        )
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{variable}={path} is not an executable file")
    # Relative paths (Bazel's runfiles) must survive a change of directory; the
    # name must stay redis-server, which Debian's binary looks at.
    return os.path.abspath(path)


class RedisServer:
    """One redis-server process without persistence, in its own directory."""

    def __init__(
        self,
        binary: str,
        workdir: Path,
        port: int | None = None,
        password: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.binary = binary
        self.extra_args = list(extra_args)
        self.workdir = workdir
        self.port = port or 0  # without a port given, the first start() chooses one
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )

    def start(self, timeout: float = 20.0) -> RedisServer:
        """Launch the server and wait until it answers PING.

        Without a port given, the first start is on a free one, chosen again
        (twice at most) when another process takes it first; a restart keeps the port.
        """
        return start_on_free_ports(1, lambda ports: self._start(ports[0], timeout), first=self.port or None)

    def _start(self, port: int, timeout: float) -> RedisServer:
        self.port = port
        (self.workdir / "redis.log").unlink(missing_ok=True)  # this start's log only
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--daemonize",
            "no",
            "--logfile",
            str(self.workdir / "redis.log"),
        ]
        if self.password:
            command += ["--requirepass", self.password]
        command += self.extra_args
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                failure = PortTakenError if "Address already in use" in log else RuntimeError
                raise failure(f"redis-server exited with {self.process.returncode}: {log}")
            try:
                with self.client() as client:
                    if client.ping():
                        return self
            except redis.RedisError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start within {timeout}s")

    def version(self) -> str:
        with self.client() as client:
            return str(client.info("server")["redis_version"])

    def freeze(self) -> int:
        """SIGSTOP the server (a hung Redis: connections open, nothing answered); returns its pid."""
        with self.client() as client:
            pid = int(client.info("server")["process_id"])
        os.kill(pid, signal.SIGSTOP)
        return pid

    def thaw(self, pid: int) -> None:
        """SIGCONT the server :meth:`freeze` stopped."""
        os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        """Shut the server down (SHUTDOWN NOSAVE, then signals) and wait for the port to close."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            with self.client() as client:
                client.shutdown(nosave=True)
        except redis.RedisError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            end_process(process, grace=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _port_open(self.port):
            time.sleep(0.02)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
