"""Load after a one-line change: `tools/bazel run //images:<image>_load`, three times, each after a new change.

For each image with a model (ml): a first `bazel run` of its load target
(podman may already hold it: the container start loaded it), then three
rounds of "append a comment to service/, `bazel run` the load": the wall time
of the whole command (rebuild included), the time the loader reports, the
layers it copied and their bytes (from the layout). Then what it replaces,
once: `bazel build --output_groups=tarball` and `podman load -i` of the
tarball after another change. The file is restored after each change.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from bazel import REPO
from commands import BenchError, Run, say
from oci_layout import Layout
from results import PerImage, Results, per_image_rows
from session import Bench, ImageEntry, container_step
from steps.one_line_change import CHANGED_FILE, OneLineChange
from table import Row, mb, median_text, ratio, seconds

ROUNDS = 3
# What oci_load prints (tools/oci/load_plan.py, load.py).
_COPIED = re.compile(r"^  copied  (\S+)", re.MULTILINE)
_LOADED = re.compile(r"^oci_load: loaded .* in ([0-9.]+) s: ", re.MULTILINE)


@dataclass(frozen=True)
class Load:
    """One `bazel run` of a load target."""

    seconds: float
    load_seconds: float
    copied: tuple[str, ...]
    copied_bytes: int


@dataclass(frozen=True)
class ImageLoads:
    """An image's first load, its loads after one-line changes, and the tarball load it replaces."""

    first: Load
    changes: tuple[Load, ...]
    tarball_seconds: float
    tarball_bytes: int

    @property
    def median(self) -> float:
        """The median wall time of the loads after a change."""
        return statistics.median(load.seconds for load in self.changes)


class LoadChanges(PerImage[ImageLoads]):
    """Per image."""


def change_line(number: int) -> str:
    """The comment of change `number`: each round's differs, so each rebuilds the app layer."""
    return f"# tools/bench: load change {number}, removed when the benchmark ends\n"


def parse_load(run: Run, layout: Layout) -> Load:
    """The layers a load copied (with their bytes, from the layout) and the seconds it reported."""
    output = run.stdout + run.log
    reported = _LOADED.search(output)
    if reported is None:
        raise BenchError(f"the load printed no 'oci_load: loaded' line; log: {run.path}")
    copied = tuple(_COPIED.findall(output))
    sizes = {layer.title: layer.size for layer in layout.layers()}
    return Load(run.seconds, float(reported.group(1)), copied, sum(sizes.get(name, 0) for name in copied))


def run(bench: Bench) -> LoadChanges:
    """Measures the loads of every image with a model."""
    return LoadChanges({entry.name: _loads(bench, entry) for entry in bench.images if entry.model})


def _loads(bench: Bench, entry: ImageEntry) -> ImageLoads:
    layout = Layout(bench.bazel.output(entry.image))

    def load(name: str) -> Load:
        result = parse_load(bench.bazel.run("run", entry.load, name=name), layout)
        say(f"    {entry.name}: {seconds(result.seconds)}, copied {', '.join(result.copied) or 'nothing'}")
        return result

    first = load(f"{entry.name}-load-first")
    changes = []
    for number in range(1, ROUNDS + 1):
        change = OneLineChange(REPO / CHANGED_FILE, change_line(number))
        bench.cleanups.append(change.restore)
        with change:
            changes.append(load(f"{entry.name}-load-change-{number}"))
    change = OneLineChange(REPO / CHANGED_FILE, change_line(ROUNDS + 1))
    with change:
        build = bench.bazel.run("build", entry.load, "--output_groups=tarball", name=f"{entry.name}-tarball-build")
        tarball = bench.bazel.output(entry.load, "/tarball.tar")
        podman = bench.command(["podman", "load", "-i", str(tarball)], name=f"{entry.name}-tarball-load")
    took = build.seconds + podman.seconds
    say(f"    {entry.name}: tarball + podman load: {seconds(took)} ({mb(tarball.stat().st_size)})")
    return ImageLoads(first, tuple(changes), took, tarball.stat().st_size)


def rows(results: Results) -> list[Row]:
    """Per image: the load after a one-line change (median of the rounds), against the tarball load."""
    return per_image_rows(results, LoadChanges, _image_rows)


def _image_rows(name: str, image: ImageLoads) -> list[Row]:
    copied = {layer for load in image.changes for layer in load.copied}
    most = max(load.copied_bytes for load in image.changes)
    return [
        Row(
            f"one-line change, then `bazel run //images:{name}_load`",
            median_text(image.median, [load.seconds for load in image.changes]),
            f"{seconds(image.tarball_seconds)}: tarball + podman load",
            ratio(image.tarball_seconds, image.median),
        ),
        Row(
            "  layers copied into podman",
            f"{', '.join(sorted(copied)) or 'none'}, at most {mb(most)}",
            f"all: {mb(image.tarball_bytes)}",
        ),
    ]


STEP = container_step(
    "load_change",
    "one-line change, then bazel run of the load target (three rounds), and the tarball load it replaces",
    run,
)
