"""Formatting helpers for byte counts, rates and durations."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """Return ``n`` bytes as a short string with a binary unit, e.g. ``86.7 MiB``."""
    value = float(n)
    if value < 1024:
        return f"{value:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"


def human_rate(n_bytes: float, seconds: float) -> str:
    """Return a transfer rate such as ``110.2 MiB/s`` (``-`` if no time passed)."""
    if seconds <= 0:
        return "- B/s"
    return f"{human_bytes(n_bytes / seconds)}/s"
