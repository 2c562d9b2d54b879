"""Load helpers for the reliability benchmark: timed requests, latency summaries, process memory."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

__all__ = ["Latencies", "SearchLoop", "rss_mb", "timed"]


@dataclass
class Latencies:
    """Request latencies in milliseconds, with their status codes."""

    millis: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def add(self, millis: float, status: int) -> None:
        """Record one request."""
        self.millis.append(millis)
        self.statuses.append(status)

    def quantile(self, fraction: float) -> float:
        """The ``fraction`` quantile in ms (nearest rank), 0 if empty."""
        if not self.millis:
            return 0.0
        ordered = sorted(self.millis)
        return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]

    def summary(self) -> str:
        """``n, p50, p99, max`` and the statuses seen."""
        if not self.millis:
            return "no requests"
        codes = ", ".join(f"{code} x{self.statuses.count(code)}" for code in sorted(set(self.statuses)))
        return (
            f"{len(self.millis)} requests, p50 {self.quantile(0.5):.0f} ms, p99 {self.quantile(0.99):.0f} ms, "
            f"max {max(self.millis):.0f} ms, mean {statistics.fmean(self.millis):.0f} ms ({codes})"
        )


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response | None, float]:
    """Run ``call``; its response (None on a transport error) and how long it took, in ms."""
    start = time.perf_counter()
    try:
        response: httpx.Response | None = call()
    except httpx.HTTPError:
        response = None
    return response, (time.perf_counter() - start) * 1000


class SearchLoop:
    """Background threads sending searches until stopped, recording every latency."""

    def __init__(self, *, url: str, headers: dict[str, str], queries: list[str], threads: int = 2) -> None:
        """Search ``url`` with ``queries`` in turn from ``threads`` threads."""
        self.latencies = Latencies()
        self._url = url
        self._headers = headers
        self._queries = queries
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> SearchLoop:
        """Start searching."""
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop searching and wait for the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, number: int) -> None:
        """One thread's loop."""
        with httpx.Client(base_url=self._url, headers=self._headers, timeout=60) as client:
            position = number
            while not self._stop.is_set():
                query = self._queries[position % len(self._queries)]
                position += len(self._threads)
                response, millis = timed(partial(client.post, "/v1/search", json={"query": query, "k": 5}))
                with self._lock:
                    self.latencies.add(millis, response.status_code if response is not None else 0)


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (10^6 bytes, as the other figures)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6  # /proc counts in kB of 1024 bytes
    return 0.0
