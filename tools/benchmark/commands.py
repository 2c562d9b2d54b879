"""Running the bench's commands: each logged to a file of its own, with heartbeats while it runs."""

from __future__ import annotations

import datetime
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bazel_log import Processes, parse_elapsed, parse_processes

HEARTBEAT_SECONDS = 20
# Lines of a log that say how far Bazel (or podman build) has come.
_PROGRESS = ("[", "STEP", "Analyzing", "INFO: Analyzed", "Computing", "Loading", "Fetching")


class BenchError(Exception):
    """A step failed; the message says which and where its log is."""


@dataclass(frozen=True)
class Run:
    """One finished command."""

    seconds: float
    log: str
    path: Path
    stdout: str = ""
    processes: Processes | None = None
    elapsed: float | None = None
    # Seconds until Bazel printed "INFO: Analyzed": loading, fetching external
    # repositories and analysis, before any action runs (1 s resolution).
    analysis: float | None = None


def host(
    argv: Sequence[str], *, check: bool = False, timeout: float | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a helper quietly (our scripts, Bazel's info and shutdown), not logged.

    Raises BenchError if it runs past `timeout` or, with `check`, fails: with
    the end of its stderr, where our scripts say what to fix.
    """
    command = " ".join(argv)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"`{command}` did not finish within {timeout:.0f} s") from error
    if check and result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip())[-2000:]
        raise BenchError(f"`{command}` failed (exit {result.returncode}):\n{output}")
    return result


def say(message: str) -> None:
    """Prints a progress line with the time."""
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


class Commands:
    """Runs commands in `cwd`, numbering their logs in `logs` (01-name.log, 01-name.stdout)."""

    def __init__(self, logs: Path, cwd: Path) -> None:
        """Logs go to `logs`, which must exist."""
        self.logs, self.cwd, self.count = logs, cwd, 0

    def run(self, argv: Sequence[str], *, name: str, check: bool = True, bazel: bool = False) -> Run:
        """Runs `argv` to its end; raises BenchError on failure unless `check` is false.

        Bazel's own messages go to the log and its `run` output to the .stdout
        file; other commands (podman) log both into one file.
        """
        self.count += 1
        log_path = self.logs / f"{self.count:02d}-{name}.log"
        out_path = log_path.with_suffix(".stdout")
        started = time.monotonic()
        with log_path.open("w") as log, out_path.open("w") as out:
            log.write("$ " + " ".join(argv) + "\n")
            log.flush()
            output = out if bazel else log
            proc = subprocess.Popen(argv, cwd=self.cwd, stdout=output, stderr=log, stdin=subprocess.DEVNULL)
            analysis = _watch(proc, log_path, started, bazel)
        took = time.monotonic() - started
        text = log_path.read_text(errors="replace")
        stdout = out_path.read_text(errors="replace")
        if check and proc.returncode != 0:
            tail = "\n".join(text.splitlines()[-25:])
            raise BenchError(f"{name} failed (exit {proc.returncode}); log: {log_path}\n{tail}")
        if not bazel:
            return Run(took, text, log_path, stdout)
        return Run(took, text, log_path, stdout, parse_processes(text), parse_elapsed(text), analysis)


def _watch(proc: subprocess.Popen[bytes], log: Path, started: float, bazel: bool) -> float | None:
    """Waits for `proc`, printing a heartbeat every HEARTBEAT_SECONDS; for Bazel, when analysis ended."""
    next_beat, analysis = started + HEARTBEAT_SECONDS, None
    try:
        while True:
            try:
                proc.wait(timeout=1)
                return analysis
            except subprocess.TimeoutExpired:
                pass
            if bazel and analysis is None and "\nINFO: Analyzed " in log.read_text(errors="replace"):
                analysis = time.monotonic() - started
            if time.monotonic() >= next_beat:
                next_beat += HEARTBEAT_SECONDS
                print(f"           ... {time.monotonic() - started:4.0f} s  {last_progress(log)}", flush=True)
    except BaseException:
        # Ctrl-C or SIGTERM: let Bazel cancel its command (SIGINT), so the
        # cleanup's `shutdown` does not wait for a build nobody wants.
        interrupt(proc)
        raise


def interrupt(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT, then SIGKILL after a minute."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def last_progress(log: Path) -> str:
    """Bazel's latest progress line, e.g. `[26 / 31] Writing layer //images:torch; 13s ...`."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith(_PROGRESS):
            return line[:110]
    return lines[-1][:110] if lines else ""
