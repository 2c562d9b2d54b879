"""The layer size gate and report for OCI images.

    size_report.py --image NAME=DIR [--image NAME=DIR ...] --limits LIMITS.json
                   [--check] [--json] [--svg OUT.svg] [--html OUT.html]

Measures every layer of the given OCI image layouts (compressed size from the
manifest, uncompressed size and the largest packages by streaming the blob)
and compares them with the limits file:

    {"unit": "MB",                                   # required: MB (10^6 B) or MiB
     "layer":  {"compressed": 200, "uncompressed": 600},   # default for every layer
     "layers": {"app": {"compressed": 5}},           # per layer name, field by field
     "images": {"ml": {"uncompressed": 800}},        # each image's sum of layers
     "total":  {"compressed": 350}}                  # all images, shared layers once

Without --check it only reports (exit 0). With --check it exits 1 when a limit
is exceeded. Invalid input (layouts, blobs, limits) exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from run_paths import UnsharedPathError, working_path
from size_layers import METRICS, Contents, Image, InputError, LayerDesc, measure_all, read_images
from size_model import UNITS, Limit, Limits, Report, Row, Sum, Violation
from size_render import (
    render_html,
    render_json,
    render_svg,
    render_text,
    violation_message,
)

SECTIONS = ("unit", "layer", "layers", "images", "total")
PRUNE_FILE = "images/prune.bzl"


# --- limits ----------------------------------------------------------------------


def load_limits(path: Path) -> Limits:
    """Reads and validates a limits file."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"limits file {path} does not exist; pass --limits with the JSON limits file") from None
    except (ValueError, OSError) as error:
        raise InputError(f"limits file {path} is not valid JSON ({error}); fix its syntax") from None
    return parse_limits(data, f"limits file {path}")


def parse_limits(data: object, where: str) -> Limits:
    """Validates limits data; unknown keys are errors (they are usually typos)."""
    top = _keys(data, SECTIONS, where, "")
    unit = top.get("unit")
    if not isinstance(unit, str) or unit not in UNITS:
        raise InputError(f'{where}: "unit" must be "MB" or "MiB", got {unit!r}; set it to one of them')

    def named(section: str) -> dict[str, Limit]:
        entries = _keys(top.get(section, {}), None, where, section)
        return {name: _limit(value, where, f"{section}.{name}") for name, value in entries.items()}

    return Limits(
        unit,
        _limit(top.get("layer", {}), where, "layer"),
        named("layers"),
        named("images"),
        _limit(top.get("total", {}), where, "total"),
    )


def _limit(data: object, where: str, key: str) -> Limit:
    """One {"compressed": N, "uncompressed": N} object."""
    entries = _keys(data, METRICS, where, key)
    return Limit(**{metric: _bound(value, where, f"{key}.{metric}") for metric, value in entries.items()})


def _bound(value: object, where: str, key: str) -> float:
    """A limit value: a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f'{where}: "{key}" must be a number >= 0, got {value!r}; fix it')
    return float(value)


def _keys(data: object, allowed: tuple[str, ...] | None, where: str, key: str) -> dict[str, object]:
    """`data` as a JSON object whose keys are all `allowed` (any, if None)."""
    if not isinstance(data, dict):
        raise InputError(f'{where}: "{key or "top level"}" must be a JSON object; fix it')
    for name in data:
        if allowed is not None and name not in allowed:
            path = f"{key}.{name}" if key else name
            raise InputError(f'{where}: unknown key "{path}"; allowed there: {", ".join(allowed)} (fix the typo)')
    return data


# --- the report -------------------------------------------------------------------


def build_report(images: list[Image], contents: dict[str, Contents], limits: Limits) -> Report:
    """Judges every layer, image and the all-images total against the limits."""
    owners: dict[str, list[str]] = {}
    for image in images:
        for layer in image.layers:
            owners.setdefault(layer.digest, [])
            if image.label not in owners[layer.digest]:
                owners[layer.digest].append(image.label)

    def row(layer: LayerDesc) -> Row:
        limit, found = limits.for_layer(layer.name), contents[layer.digest]
        sizes = {"compressed": layer.compressed, "uncompressed": found.uncompressed}
        return Row(layer, found, limit, limit.over_by(sizes, limits.unit_bytes), tuple(owners[layer.digest]))

    sums = [
        _judged(Sum("image", i.label, tuple(map(row, i.layers)), limits.images.get(i.name, Limit())), limits)
        for i in images
    ]
    distinct = {r.layer.digest: r for s in sums for r in s.rows}
    total = _judged(Sum("total", "all images", tuple(distinct.values()), limits.total), limits)
    return Report(limits, tuple(sums), total, tuple(_violations(sums, total)))


def _judged(whole: Sum, limits: Limits) -> Sum:
    """`whole` with its exceeded metrics filled in."""
    over = whole.limit.over_by(whole.sizes(), limits.unit_bytes)
    return Sum(whole.kind, whole.name, whole.rows, whole.limit, over)


def _violations(sums: list[Sum], total: Sum) -> list[Violation]:
    """Every exceeded limit; a layer shared by several images is reported once."""
    layers: dict[tuple[str, str, str], Violation] = {}
    for row in (row for whole in sums for row in whole.rows):
        for metric in row.over:
            size, bound = row.sizes()[metric], row.limit.get(metric) or 0.0
            violation = Violation("layer", row.layer.name, row.images, metric, size, bound, tuple(row.contents.top()))
            layers.setdefault((row.layer.digest, row.layer.name, metric), violation)
    wholes = [
        Violation(w.kind, w.name, (), m, w.sizes()[m], w.limit.get(m) or 0.0, _largest_layers(w, m))
        for w in (*sums, total)
        for m in w.over
    ]
    return [*layers.values(), *wholes]


def _largest_layers(whole: Sum, metric: str) -> tuple[tuple[str, int], ...]:
    """The layers of `whole`, largest first by `metric`."""
    return tuple(sorted(((r.layer.name, r.sizes()[metric]) for r in whole.rows), key=lambda item: -item[1]))


# --- command line ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Runs the report (or with --check the gate); returns 0, 1 (over a limit) or 2 (bad input)."""
    args = _arguments().parse_args(argv)
    try:
        svg, page = (_picture_path(flag, path) for flag, path in (("--svg", args.svg), ("--html", args.html)))
        report = run(args.image, args.limits, sys.stderr)
        text = render_text(report)
        _write_pictures(report, text, svg, page)
    except InputError as error:
        print(f"size_report: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"size_report: error: {error}; check the paths and their permissions", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(render_json(report), indent=2))
    else:
        sys.stdout.write(text)
    return _verdict(report, args.check, args.limits, sys.stderr if args.json else sys.stdout)


def run(images: list[tuple[str, Path]], limits_path: Path, progress: TextIO | None = None) -> Report:
    """Reads the limits and the image layouts, measures every distinct layer once, judges."""
    limits = load_limits(limits_path)
    names = [name for name, _ in images]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"image name {name!r} is given twice; give each --image a distinct NAME")
    layouts = [image for name, directory in images for image in read_images(name, directory)]
    _note_unused(limits, layouts)
    return build_report(layouts, measure_all(layouts, progress), limits)


def _note_unused(limits: Limits, images: list[Image]) -> None:
    """Notes limits for names no given image or layer has (a typo, or an image not given)."""
    present = {"layer": {x.name for i in images for x in i.layers}, "image": {i.name for i in images}}
    for kind, named in (("layer", limits.layers), ("image", limits.images)):
        for name in sorted(set(named) - present[kind]):
            print(f"size_report: note: the limits name {kind} {name!r}, which no given image has", file=sys.stderr)


def _verdict(report: Report, check: bool, limits_path: Path, out: TextIO) -> int:
    """Prints the outcome; with `check`, a failure is exit code 1."""
    messages = [violation_message(v, report.limits) for v in report.violations]
    print(file=out)
    if messages:
        for message in messages:
            print(f"{'FAILED' if check else 'OVER'}: {message}", file=out)
        print(f"hint: prune more in {PRUNE_FILE} or raise the limit in {limits_path}", file=out)
        return 1 if check else 0
    images, layers = _count(len(report.images), "image"), _count(len(report.total.rows), "layer")
    print(f"{'PASSED' if check else 'ok'}: {images}, {layers} within limits", file=out)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _picture_path(flag: str, path: Path | None) -> Path | None:
    """Where a picture flag's file goes (relative: to where `bazel run` was called)."""
    try:
        return working_path(path) if path is not None else None
    except UnsharedPathError as error:
        raise InputError(f"{flag} {error}") from None


def _write_pictures(report: Report, text: str, svg: Path | None, page: Path | None) -> None:
    """Writes the SVG and/or HTML files asked for."""
    if svg is None and page is None:
        return
    picture = render_svg(report)
    for path, content in ((svg, picture), (page, render_html(picture, text))):
        if path is not None:
            try:
                path.write_text(content, encoding="utf-8")
            except OSError as error:
                raise InputError(f"cannot write {path} ({error.strerror}); choose a writable path") from None


def _image_argument(text: str) -> tuple[str, Path]:
    name, separator, directory = text.partition("=")
    if not separator or not name or not directory:
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r}")
    return name, Path(directory)


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="size_report.py",
        description="Measures OCI image layers against size limits.",
        epilog="Exit codes: 0 report or within limits, 1 over a limit (--check), 2 invalid input.",
    )
    parser.add_argument(
        "--image",
        action="append",
        required=True,
        type=_image_argument,
        metavar="NAME=DIR",
        help="an image name and its OCI image layout directory (repeatable)",
    )
    parser.add_argument("--limits", required=True, type=Path, metavar="LIMITS.json", help="the limits file")
    parser.add_argument("--check", action="store_true", help="exit 1 when any limit is exceeded")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (only JSON on stdout)")
    parser.add_argument("--svg", type=Path, metavar="OUT.svg", help="also draw the report as SVG")
    parser.add_argument("--html", type=Path, metavar="OUT.html", help="also write an HTML page with the SVG")
    return parser


if __name__ == "__main__":
    sys.exit(main())
