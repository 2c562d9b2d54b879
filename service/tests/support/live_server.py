"""``python -m docintel`` in a subprocess on a free loopback port, its stdout kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.processes import end_process
from tests.support.redis_server import free_port

SERVICE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class LiveServer:
    """The service as a real process serving HTTP (uvicorn), configured through the environment."""

    def __init__(self, workdir: Path, env: dict[str, str], *, service_dir: Path = SERVICE_DIR) -> None:
        self.port = free_port()
        self.log_path = workdir / "stdout.log"
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("DOCINTEL_")}
        self._env.update(env)
        self._env["PORT"] = str(self.port)
        self._env["PYTHONPATH"] = os.pathsep.join([str(service_dir), self._env.get("PYTHONPATH", "")])
        self._workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        """Start the process and wait until /healthz answers."""
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
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
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
