"""The bench's pictures: per measure, how many times smaller or faster ours is than what it is compared with (SVG).

Each bar is the ratio theirs / ours of a measure where less is better (bytes,
seconds) on a logarithmic axis from 1x to 10,000x, so a 3x and a 3,000x gain
both stay readable; its label gives both figures. A measure where ours is
the larger or slower one is drawn in another colour, with its ratio below 1x
written out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from results import Results
from table import mb, ratio

DECADES = 4
"""The axis runs from 1x to 10**DECADES x."""
_LABEL_WIDTH, _AXIS_WIDTH, _TEXT_WIDTH = 320, 330, 270
_ROW_HEIGHT, _TOP, _BOTTOM = 30, 58, 34
_BETTER, _WORSE, _GRID, _INK = "#2f6db3", "#c0504d", "#d9d9d9", "#222222"


@dataclass(frozen=True)
class Bar:
    """One measure where less is better: ours and theirs, in `unit` ("bytes", "s" or "ms")."""

    label: str
    ours: float
    theirs: float
    unit: str

    @property
    def gain(self) -> float:
        """Theirs / ours: how many times smaller or faster ours is."""
        return self.theirs / self.ours

    def figures(self) -> str:
        """`26.7x: 43.2 MB against 1,152.5 MB`."""
        return f"{ratio(self.theirs, self.ours)}: {self._show(self.ours)} against {self._show(self.theirs)}"

    def _show(self, value: float) -> str:
        return mb(value) if self.unit == "bytes" else f"{value:,.{2 if value < 1 else 1}f} {self.unit}"


@dataclass(frozen=True)
class Chart:
    """One picture: its file name, its title, what ours is compared with, and the steps' bars in order."""

    name: str
    title: str
    against: str
    sections: tuple[Callable[[Results], list[Bar]], ...]

    def bars(self, results: Results) -> list[Bar]:
        """The bars its steps give for `results`, in order."""
        return [bar for section in self.sections for bar in section(results)]

    def draw(self, results: Results, date: str) -> str | None:
        """The picture of what `results` hold, or None if they hold none of its measures."""
        bars = self.bars(results)
        return render_svg(bars, f"{self.title} (tools/bench, {date})", self.against) if bars else None


def render_svg(bars: Sequence[Bar], title: str, against: str) -> str:
    """The chart as a standalone SVG document."""
    width = _LABEL_WIDTH + _AXIS_WIDTH + _TEXT_WIDTH
    height = _TOP + _ROW_HEIGHT * len(bars) + _BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="24" font-size="15" font-weight="bold" fill="{_INK}">{html.escape(title)}</text>',
        f'<text x="12" y="44" fill="#555555">times smaller or faster than {html.escape(against)} '
        "(log scale; blue: ours better, red: ours worse)</text>",
    ]
    bottom = _TOP + _ROW_HEIGHT * len(bars)
    for decade in range(DECADES + 1):
        x = _LABEL_WIDTH + _AXIS_WIDTH * decade / DECADES
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{_GRID}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" fill="#555555">{10**decade:,}x</text>')
    for row, bar in enumerate(bars):
        y = _TOP + _ROW_HEIGHT * row
        length = max(_AXIS_WIDTH * min(abs(math.log10(bar.gain)), DECADES) / DECADES, 1.5)  # a 1x bar still shows
        colour = _BETTER if bar.gain >= 1 else _WORSE
        label = html.escape(bar.label)
        parts += [
            f'<text x="{_LABEL_WIDTH - 10}" y="{y + 19}" text-anchor="end" fill="{_INK}">{label}</text>',
            f'<rect x="{_LABEL_WIDTH}" y="{y + 6}" width="{length:.1f}" height="18" fill="{colour}"/>',
            f'<text x="{_LABEL_WIDTH + length + 6:.1f}" y="{y + 19}" fill="{_INK}">{html.escape(bar.figures())}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
