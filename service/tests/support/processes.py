"""Starting and ending the processes tests start."""

from __future__ import annotations

import os
import subprocess
import sys


def run_python(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter that finds what this one does (its sys.path), ``args`` as its argv."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    argv = [sys.executable, "-c", script, *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def end_process(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM, then SIGKILL if ``process`` has not exited within ``grace`` seconds; waits for it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
