"""The bench's table: rows of ours / seed approach / ratio, and how figures are written in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bazel_log import Processes


@dataclass(frozen=True)
class Row:
    """One line of the table; a row with only a label is a section heading."""

    label: str
    ours: str = ""
    seed: str = ""
    ratio: str = ""


_HEADER = Row("measurement", "ours", "seed approach", "ratio")
_FIELDS = ("label", "ours", "seed", "ratio")


def render_table(rows: Sequence[Row]) -> str:
    """The table as text: labels left-aligned, figures right-aligned, ruled."""
    widths = [max(len(getattr(r, f)) for r in [_HEADER, *rows]) for f in _FIELDS]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(row: Row) -> str:
        cells = [
            row.label.ljust(widths[0]),
            *(getattr(row, f).rjust(w) for f, w in zip(_FIELDS[1:], widths[1:], strict=True)),
        ]
        return "| " + " | ".join(cells) + " |"

    out = [rule, line(_HEADER), rule]
    for row in rows:
        heading = not (row.ours or row.seed or row.ratio)
        out.append("| " + row.label.ljust(sum(widths) + 9) + " |" if heading else line(row))
    out.append(rule)
    return "\n".join(out) + "\n"


def mb(size: float | None) -> str:
    """Bytes as MB (10^6), kB below 1 MB."""
    if size is None:
        return ""
    if size < 1e6:
        return f"{size / 1e3:.1f} kB"
    return f"{size / 1e6:,.1f} MB"


def seconds(value: float | None) -> str:
    """`12.3 s`, or nothing for no value."""
    return "" if value is None else f"{value:.1f} s"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """`4.3x` (no decimals from 100x up), or nothing when either side is missing or zero."""
    if not numerator or not denominator:
        return ""
    value = numerator / denominator
    return f"{value:,.0f}x" if value >= 100 else f"{value:,.1f}x"


def actions(processes: Processes | None) -> str:
    """`31 actions, 11 run`: Bazel's process count, how many ran (not internal, not a cache hit), hits."""
    if processes is None:
        return "? actions"
    noun = "action" if processes.total == 1 else "actions"
    hits = processes.cache_hits
    return f"{processes.total} {noun}, {processes.local} run" + (f", {hits} cache hits" if hits else "")


def median_text(median: float, runs: Sequence[float]) -> str:
    """`9.4 s (median of 3: 9.1-10.2 s)`; just `9.4 s` for one run."""
    if len(runs) <= 1:
        return seconds(median)
    return f"{seconds(median)} (median of {len(runs)}: {min(runs):.1f}-{max(runs):.1f} s)"


def count_word(number: int) -> str:
    """`three` for 3 (up to ten), else the digits: the table says "all three"."""
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[number] if 0 <= number < len(words) else str(number)
