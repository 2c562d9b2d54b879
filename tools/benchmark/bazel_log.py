"""What Bazel's console log says about a command: its processes, its elapsed time, packages reloaded."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PROCESSES = re.compile(r"^INFO: ([\d,]+) process(?:es)?(?:: (.*?))?\.?\s*$", re.MULTILINE)
_ELAPSED = re.compile(r"INFO: Elapsed time: ([\d.]+)s")
_LOADED = re.compile(r"INFO: Analyzed .*?\(([\d,]+) packages? loaded")


@dataclass(frozen=True)
class Processes:
    """Bazel's `INFO: 31 processes: 20 internal, 11 linux-sandbox.` line."""

    total: int
    by_kind: dict[str, int]

    @property
    def executed(self) -> int:
        """Processes that are not internal (ran somewhere, or came from a cache)."""
        return self.total - self.by_kind.get("internal", 0)

    @property
    def cache_hits(self) -> int:
        """Processes taken from a cache (`remote cache hit`, `disk cache hit`)."""
        return sum(count for kind, count in self.by_kind.items() if kind.endswith("cache hit"))

    @property
    def local(self) -> int:
        """Processes that ran: executed and not a cache hit."""
        return self.executed - self.cache_hits


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def parse_processes(log: str) -> Processes | None:
    """The last processes line of a log, or None when there is none."""
    matches = _PROCESSES.findall(log)
    if not matches:
        return None
    total, breakdown = matches[-1]
    by_kind: dict[str, int] = {}
    for part in (breakdown or "").split(", "):
        count, _, kind = part.strip().partition(" ")
        if count.replace(",", "").isdigit() and kind:
            by_kind[kind] = by_kind.get(kind, 0) + _number(count)
    return Processes(_number(total), by_kind)


def parse_elapsed(log: str) -> float | None:
    """Bazel's own `INFO: Elapsed time: 114.835s` (the last one)."""
    matches = _ELAPSED.findall(log)
    return float(matches[-1]) if matches else None


def packages_loaded(log: str) -> int:
    """N in Bazel's last `INFO: Analyzed 3 targets (N packages loaded, ...)` line (0 if none)."""
    matches = _LOADED.findall(log)
    return _number(matches[-1]) if matches else 0
