"""``python -m docintel`` in a subprocess on a free loopback port, its stdout kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from loopback_ports import PortTakenError, start_on_free_ports
from tests.support.processes import end_process

SERVICE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class LiveServer:
    """The service as a real process serving HTTP (uvicorn), configured through the environment."""

    def __init__(self, workdir: Path, env: dict[str, str], *, service_dir: Path = SERVICE_DIR) -> None:
        self.port = 0  # the first start() chooses it
        self.log_path = workdir / "stdout.log"
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("DOCINTEL_")}
        self._env.update(env)
        self._env["PYTHONPATH"] = os.pathsep.join([str(service_dir), self._env.get("PYTHONPATH", "")])
        self._workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        """Start the process and wait until /healthz answers.

        The first start is on a free port, chosen again (twice at most) when another
        process takes it first (tests run side by side); a restart keeps the port.
        """
        return start_on_free_ports(1, lambda ports: self._start(ports[0]), first=self.port or None)

    def _start(self, port: int) -> LiveServer:
        self.port = port
        self._env["PORT"] = str(port)
        started_at = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "docintel"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._workdir,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                answered = httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                answered = False
            this_start = self.log_path.read_bytes()[started_at:].decode(errors="replace")
            if "address already in use" in this_start:  # whatever answered on the port, it is not this process
                self.stop()
                raise PortTakenError(this_start)
            # uvicorn says so once it listens: before that, an answer on the port came from another process.
            if answered and "Uvicorn running on" in this_start and self.process.poll() is None:
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not start: {self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then wait."""
        process, self.process = self.process, None
        if process is not None:
            end_process(process, grace=10)
