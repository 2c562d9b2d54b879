"""Renders a size_report Report: an aligned text table, JSON data, an SVG picture, HTML.

SVG and HTML are built as strings: every label is escaped, and the result is
well-formed XML. Sizes in JSON are bytes; everywhere else the limits' unit.
"""

from __future__ import annotations

import html

from size_layers import METRICS
from size_model import Limit, Limits, Report, Row, Sum, Violation

TOP = 10  # packages listed per layer
WIDTH = 960
MARGIN = 20
CHAR = 7.0  # estimated width of one character of 12px sans-serif
RED = "#d62728"
PALETTE = ("#4e79a7", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac", "#f28e2b", "#86bcb6")


def amount(size: float, limits: Limits) -> str:
    """Bytes in the limits' unit: one decimal, or enough digits to show a small size."""
    value = size / limits.unit_bytes
    return f"{value:.1f}" if value >= 1 or value == 0 else f"{value:.3g}"


def violation_message(violation: Violation, limits: Limits) -> str:
    """E.g. `layer 'torch' of image 'ml' is 712.3 MB uncompressed, over its 600 MB limit; ...`."""
    unit, v = limits.unit, violation
    if v.kind == "layer":
        plural = "s" if len(v.images) > 1 else ""
        who = f"layer {v.subject!r} of image{plural} {', '.join(map(repr, v.images))} is"
    elif v.kind == "image":
        who = f"image {v.subject!r} is"
    else:
        who = "all images together (shared layers once) are"
    parts = "packages" if v.kind == "layer" else "layers"
    largest = ", ".join(f"{name} {amount(size, limits)} {unit}" for name, size in v.largest[:5])
    return (
        f"{who} {amount(v.size, limits)} {unit} {v.metric}, over its {v.limit:g} {unit} limit; "
        f"largest {parts}: {largest or 'none'}"
    )


# --- text ------------------------------------------------------------------------


def render_text(report: Report) -> str:
    """Tables per image, the all-images total, shared layers, offenders' packages."""
    limits, total = report.limits, report.total
    lines: list[str] = []
    for whole in report.images:
        rows = [_headers(limits.unit), *(_row_cells(r, limits) for r in whole.rows), _sum_cells(whole, limits)]
        lines += [f"image {whole.name!r}: {len(whole.rows)} layers", *_table(rows, {0, 3, 4, 5}), ""]
    lines.append(f"all images: {len(total.rows)} distinct layers (shared layers counted once)")
    lines += _table([_headers(limits.unit)[3:], _sum_cells(total, limits)[3:]], {0, 1, 2})
    shared = [r for r in total.rows if len(r.images) > 1]
    lines += ["", "shared layers:" if shared else "shared layers: none"]
    lines += [f"  {r.layer.name} ({r.layer.short_digest}): {', '.join(r.images)}" for r in shared]
    for row in (r for r in total.rows if r.over):
        lines += ["", f"largest packages of layer {row.layer.name!r} ({row.layer.short_digest}, OVER):"]
        top = [[name, f"{amount(size, limits)} {limits.unit}"] for name, size in row.contents.top(TOP)]
        lines += _table(top, {1}) if top else ["  (no files)"]
    return "\n".join(lines) + "\n"


def _headers(unit: str) -> list[str]:
    return ["#", "layer", "digest", f"compressed {unit}", f"uncompressed {unit}", f"limit {unit} (c/u)", "status"]


def _row_cells(row: Row, limits: Limits) -> list[str]:
    sizes = [amount(row.sizes()[m], limits) for m in METRICS]
    status = "OVER" if row.over else "ok"
    return [str(row.layer.index), row.layer.name, row.layer.short_digest, *sizes, _bounds(row.limit), status]


def _sum_cells(whole: Sum, limits: Limits) -> list[str]:
    sizes = [amount(whole.sizes()[m], limits) for m in METRICS]
    label = "image total" if whole.kind == "image" else ""
    return ["", label, "", *sizes, _bounds(whole.limit), "OVER" if whole.over else "ok"]


def _bounds(limit: Limit) -> str:
    return "/".join("-" if (b := limit.get(m)) is None else f"{b:g}" for m in METRICS)


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    """Rows of cells as indented lines with aligned columns; `right` columns right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        cells = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        return ("  " + "  ".join(cells)).rstrip()

    return [line(row) for row in rows]


# --- JSON --------------------------------------------------------------------------


def render_json(report: Report) -> dict[str, object]:
    """The report as JSON data; sizes and limits in bytes."""
    limits = report.limits

    def judged(item: Row | Sum) -> dict[str, object]:
        bounds = {m: None if (b := item.limit.get(m)) is None else round(b * limits.unit_bytes) for m in METRICS}
        return {**item.sizes(), "limits": bounds, "over": bool(item.over), "over_metrics": list(item.over)}

    def layer(row: Row) -> dict[str, object]:
        d, top = row.layer, [{"name": n, "size": s} for n, s in row.contents.top(TOP)]
        head = {"index": d.index, "name": d.name, "digest": d.digest, "media_type": d.media_type}
        return {**head, **judged(row), "images": list(row.images), "top_packages": top}

    def violation(v: Violation) -> dict[str, object]:
        fields = {"kind": v.kind, "subject": v.subject, "images": list(v.images), "metric": v.metric}
        limit = round(v.limit * limits.unit_bytes)
        return {**fields, "size": v.size, "limit": limit, "message": violation_message(v, limits)}

    shared = [r for r in report.total.rows if len(r.images) > 1]
    return {
        "unit": limits.unit,
        "unit_bytes": limits.unit_bytes,
        "images": {s.name: {**judged(s), "layers": [layer(r) for r in s.rows]} for s in report.images},
        "totals": {**judged(report.total), "distinct_layers": len(report.total.rows)},
        "shared_layers": [{"name": r.layer.name, "digest": r.layer.digest, "images": list(r.images)} for r in shared],
        "violations": [violation(v) for v in report.violations],
        "passed": not report.violations,
    }


# --- SVG and HTML ------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


class _Canvas:
    """SVG elements collected as strings, with the report's unit, scale and layer colors."""

    def __init__(self, report: Report) -> None:
        self.limits, self.parts = report.limits, list[str]()
        self.colors = {r.layer.digest: PALETTE[i % len(PALETTE)] for i, r in enumerate(report.total.rows)}
        sizes = [float(s.sizes()[m]) for s in report.images for m in METRICS]
        bounds = [b * self.limits.unit_bytes for s in report.images for m in METRICS if (b := s.limit.get(m))]
        self.scale = (WIDTH - 2 * MARGIN) / max([1.0, *sizes, *bounds])

    def text(self, x: float, y: float, label: str, attributes: str = "") -> None:
        """Adds a text label (escaped)."""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}"{attributes}>{_e(label)}</text>')

    def rect(self, x: float, y: float, size: tuple[float, float], fill: str, tip: str = "") -> None:
        """Adds a rectangle of (width, height) with an optional tooltip."""
        title = f"<title>{_e(tip)}</title>" if tip else ""
        width, height = max(size[0], 0.0), size[1]
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{fill}" '
            f'stroke="white" stroke-width="0.5">{title}</rect>'
        )

    def size(self, size: int) -> str:
        """`size` bytes as e.g. `712.3 MB`."""
        return f"{amount(size, self.limits)} {self.limits.unit}"

    def color(self, row: Row) -> str:
        """Red for an offending layer, else the layer's own color."""
        return RED if row.over else self.colors[row.layer.digest]


def render_svg(report: Report) -> str:
    """Draws the report.

    A stacked bar per image (uncompressed, a thin compressed bar below, limit
    markers), then a small bar chart of the top packages of every distinct layer.
    """
    canvas, y = _Canvas(report), 30.0
    canvas.text(MARGIN, 18, f"image layer sizes ({report.limits.unit})", ' font-size="15" font-weight="bold"')
    for whole in report.images:
        y = _image_bar(canvas, whole, y)
    canvas.text(MARGIN, y + 10, "largest packages per layer (uncompressed)", ' font-weight="bold"')
    y += 24
    rows = report.total.rows
    for pair in (rows[i : i + 2] for i in range(0, len(rows), 2)):
        for column, row in enumerate(pair):
            _package_chart(canvas, row, MARGIN + column * WIDTH / 2, y)
        y += 36 + 14 * max(len(row.contents.top(TOP)) for row in pair)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y:.0f}" '
        f'viewBox="0 0 {WIDTH} {y:.0f}" font-family="sans-serif" font-size="12">'
    )
    return "\n".join([head, '<rect width="100%" height="100%" fill="white"/>', *canvas.parts, "</svg>"]) + "\n"


def _image_bar(canvas: _Canvas, whole: Sum, y: float) -> float:
    """Draws one image's heading, bars, limit markers and legend at `y`; returns the next free y."""
    sizes, heading = whole.sizes(), f"{whole.name}:"
    for metric in reversed(METRICS):
        bound = whole.limit.get(metric)
        heading += f" {canvas.size(sizes[metric])} {metric}" + ("" if bound is None else f" (limit {bound:g})") + ","
    fill = f' fill="{RED}"' if whole.over else ""
    canvas.text(MARGIN, y + 12, heading.rstrip(",") + (" OVER" if whole.over else ""), f' font-weight="bold"{fill}')
    x, xc, top = float(MARGIN), float(MARGIN), y + 32
    for row in whole.rows:
        u, c = row.sizes()["uncompressed"] * canvas.scale, row.sizes()["compressed"] * canvas.scale
        tip = f"{row.layer.name}: {canvas.size(row.contents.uncompressed)} uncompressed, "
        tip += f"{canvas.size(row.layer.compressed)} compressed"
        canvas.rect(x, top, (u, 26), canvas.color(row), tip)
        canvas.rect(xc, top + 30, (c, 7), canvas.color(row), tip)
        if u > CHAR * len(row.layer.name) + 6:
            canvas.text(x + 3, top + 17, row.layer.name, ' fill="white"')
        x, xc = x + u, xc + c
    _markers(canvas, whole.limit, top)
    return _legend(canvas, whole, top + 52) + 16


def _markers(canvas: _Canvas, limit: Limit, top: float) -> None:
    """Dashed lines at an image's limits: a long one for uncompressed, a short one for compressed."""
    for metric, y0, y1 in (("uncompressed", top - 4, top + 30), ("compressed", top + 28, top + 40)):
        if (bound := limit.get(metric)) is None:
            continue
        lx = MARGIN + bound * canvas.limits.unit_bytes * canvas.scale
        canvas.parts.append(
            f'<line x1="{lx:.1f}" y1="{y0}" x2="{lx:.1f}" y2="{y1}" stroke="black" stroke-width="2" '
            'stroke-dasharray="4 2"/>'
        )
        if metric == "uncompressed":
            right = lx > WIDTH - 100
            anchor = ' font-size="10"' + (' text-anchor="end"' if right else "")
            canvas.text(lx - 3 if right else lx + 3, top - 4, f"limit {bound:g} {canvas.limits.unit}", anchor)


def _legend(canvas: _Canvas, whole: Sum, y: float) -> float:
    """Layer names and sizes under the bars, wrapping; returns the y of the last line."""
    x = float(MARGIN)
    for row in whole.rows:
        label = f"{row.layer.name} {canvas.size(row.contents.uncompressed)}"
        width = 16 + CHAR * len(label) + 12
        if x + width > WIDTH - MARGIN and x > MARGIN:
            x, y = float(MARGIN), y + 16
        canvas.rect(x, y - 10, (11, 11), canvas.color(row))
        canvas.text(x + 15, y, label, f' fill="{RED}"' if row.over else "")
        x += width
    return y


def _package_chart(canvas: _Canvas, row: Row, x: float, y: float) -> None:
    """A layer's top packages as horizontal bars in a cell at (x, y)."""
    title = f"{row.layer.name} ({row.layer.short_digest}) {canvas.size(row.contents.uncompressed)}"
    canvas.text(x, y + 12, title + (" OVER" if row.over else ""), f' fill="{RED}"' if row.over else "")
    top = row.contents.top(TOP)
    largest = max([size for _, size in top] + [1])
    for i, (name, size) in enumerate(top):
        line, width = y + 28 + i * 14, 200 * size / largest
        canvas.text(x, line, name if len(name) <= 26 else name[:25] + "…", ' font-size="10"')
        canvas.rect(x + 170, line - 9, (width, 10), RED if row.over else PALETTE[0], f"{name}: {size} bytes")
        canvas.text(x + 175 + width, line, canvas.size(size), ' font-size="10"')


def render_html(svg: str, text: str) -> str:
    """A standalone page with the SVG picture and the text report."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Image layer sizes</title>\n'
        "<style>body{font-family:sans-serif;margin:24px}pre{font-size:13px}</style>\n</head>\n<body>\n"
        f"<h1>Image layer sizes</h1>\n{svg}<pre>{_e(text)}</pre>\n</body>\n</html>\n"
    )
