"""The scaling benchmark's figures, and their picture: latency and memory per chunk against corpus size.

Drawn like the size report's (``tools/oci/size_render.py``): SVG built as
strings, every label escaped, one colour per series, tooltips on the points.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

__all__ = ["Point", "markdown_rows", "read_table", "render_svg"]

PANEL = (440, 300)
MARGIN = (64, 40, 30, 50)  # left, top, right, bottom
PALETTE = {"Q8": "#4e79a7", "NOQUANT": "#59a14f", "BIN": "#f28e2b", "exact": "#b07aa1"}


@dataclass(frozen=True)
class Point:
    """One index at one corpus size."""

    index: str
    chunks: int
    ingest_per_second: float
    redis_cpu_ms_per_chunk: float
    plain_p50: float
    plain_p99: float
    plain_recall: float
    filtered_p50: float
    filtered_p99: float
    filtered_recall: float
    memory_per_chunk: float
    index_per_chunk: float


COLUMNS = {
    "ingest_per_second": ("ingest chunks/s", "{:,.0f}"),
    "redis_cpu_ms_per_chunk": ("Redis CPU ms/chunk", "{:.3f}"),
    "plain_p50": ("p50 ms", "{:.2f}"),
    "plain_p99": ("p99 ms", "{:.2f}"),
    "filtered_p50": ("filtered p50 ms", "{:.2f}"),
    "filtered_p99": ("filtered p99 ms", "{:.2f}"),
    "plain_recall": ("recall@10", "{:.3f}"),
    "filtered_recall": ("filtered recall@10", "{:.3f}"),
    "memory_per_chunk": ("Redis bytes/chunk", "{:,.0f}"),
    "index_per_chunk": ("index bytes/chunk", "{:,.0f}"),
}
"""The table's measure columns after index and chunks: field -> (heading, format)."""


def markdown_rows(points: list[Point]) -> list[str]:
    """A Markdown table of ``points`` (header, rule, one row each)."""
    header = ["index", "chunks", *(heading for heading, _ in COLUMNS.values())]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for point in points:
        measures = (form.format(getattr(point, name)) for name, (_, form) in COLUMNS.items())
        values = [point.index, f"{point.chunks:,}", *measures]
        rows.append("| " + " | ".join(values) + " |")
    return rows


def read_table(path: Path) -> list[Point]:
    """The points of a table :func:`markdown_rows` made (e.g. an earlier run's output)."""
    points = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().replace(",", "") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(COLUMNS) and cells[1].isdigit():
            measures = {name: float(value) for name, value in zip(COLUMNS, cells[2:], strict=True)}
            points.append(Point(index=cells[0], chunks=int(cells[1]), **measures))
    return points


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _nice_top(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    return float(next(step * m for m in (1, 2, 2.5, 5, 10) if step * m >= value))


class _Panel:
    """One chart: log-scale chunks across, a linear measure up."""

    def __init__(self, parts: list[str], origin: float, *, title: str, unit: str, sizes: list[int], top: float) -> None:
        self.parts, self.left, self.unit, self.top = parts, origin + MARGIN[0], unit, _nice_top(top)
        self.width, self.height = PANEL[0] - MARGIN[0] - MARGIN[2], PANEL[1] - MARGIN[1] - MARGIN[3]
        self.low, self.high = math.log10(min(sizes)), math.log10(max(sizes))
        parts.append(f'<text x="{self.left:.0f}" y="24" font-weight="bold">{_e(title)}</text>')
        parts.append(
            f'<rect x="{self.left}" y="{MARGIN[1]}" width="{self.width}" height="{self.height}" '
            'fill="none" stroke="#999"/>'
        )
        for tick in range(5):
            value = self.top * tick / 4
            y = self.y(value)
            right = self.left + self.width
            parts.append(f'<line x1="{self.left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
        for size in sizes:
            parts.append(
                f'<text x="{self.x(size):.1f}" y="{MARGIN[1] + self.height + 16}" text-anchor="middle">'
                f"{_e(_count(size))}</text>"
            )
        parts.append(
            f'<text x="{self.left + self.width / 2:.0f}" y="{PANEL[1] - 8}" text-anchor="middle">chunks (log)</text>'
        )
        parts.append(
            f'<text x="{origin + 14}" y="{MARGIN[1] + self.height / 2:.0f}" text-anchor="middle" '
            f'transform="rotate(-90 {origin + 14} {MARGIN[1] + self.height / 2:.0f})">{_e(unit)}</text>'
        )

    def x(self, chunks: int) -> float:
        """Horizontal position of a corpus size."""
        span = (math.log10(chunks) - self.low) / (self.high - self.low) if self.high > self.low else 0.5
        return self.left + span * self.width

    def y(self, value: float) -> float:
        """Vertical position of a measure."""
        return MARGIN[1] + self.height * (1 - min(value, self.top) / self.top)

    def series(self, label: str, color: str, points: list[tuple[int, float]], dashed: bool = False) -> None:
        """A line through ``points`` (chunks, value) with a dot and tooltip at each."""
        coordinates = " ".join(f"{self.x(c):.1f},{self.y(v):.1f}" for c, v in points)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        self.parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for chunks, value in points:
            self.parts.append(
                f'<circle cx="{self.x(chunks):.1f}" cy="{self.y(value):.1f}" r="3" fill="{color}">'
                f"<title>{_e(f'{label}: {value:,.2f} {self.unit} at {chunks:,} chunks')}</title></circle>"
            )


def _count(chunks: int) -> str:
    """10000 -> 10k, 1000000 -> 1M."""
    return f"{chunks // 1_000_000}M" if chunks >= 1_000_000 else f"{chunks // 1000}k" if chunks >= 1000 else str(chunks)


def render_svg(points: list[Point]) -> str:
    """Search p50/p99 (ms) and Redis memory per chunk (bytes) against corpus size, one colour per index."""
    parts: list[str] = []
    sizes = sorted({p.chunks for p in points})
    indexes = list(dict.fromkeys(p.index for p in points))
    panels: list[tuple[str, str, list[tuple[str, Callable[[Point], float], bool]]]] = [
        (
            "search latency, k=10 (solid p50, dashed p99)",
            "ms",
            [("p50", attrgetter("plain_p50"), False), ("p99", attrgetter("plain_p99"), True)],
        ),
        ("Redis memory per chunk", "bytes", [("memory", attrgetter("memory_per_chunk"), False)]),
    ]
    for column, (title, unit, measures) in enumerate(panels):
        top = max(measure(p) for p in points for _, measure, _ in measures)
        panel = _Panel(parts, column * PANEL[0], title=title, unit=unit, sizes=sizes, top=top)
        for index in indexes:
            mine = sorted((p for p in points if p.index == index), key=lambda p: p.chunks)
            for label, measure, dashed in measures:
                values = [(p.chunks, measure(p)) for p in mine]
                panel.series(f"{index} {label}", PALETTE.get(index, "#9c755f"), values, dashed)
    legend_y = PANEL[1] + 10
    for number, index in enumerate(indexes):
        x = MARGIN[0] + number * 120
        parts.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{PALETTE.get(index, "#9c755f")}"/>')
        parts.append(f'<text x="{x + 18}" y="{legend_y + 11}">{_e(index)}</text>')
    width, height = 2 * PANEL[0], PANEL[1] + 34
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
    )
    return "\n".join([head, '<rect width="100%" height="100%" fill="white"/>', *parts, "</svg>"]) + "\n"
