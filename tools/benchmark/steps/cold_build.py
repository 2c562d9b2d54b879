"""Cold build: every image as on a new machine (fresh output base, empty repository cache, no remote cache)."""

from __future__ import annotations

from dataclasses import dataclass

from commands import say
from results import Build, Results
from session import ALL_IMAGES, Bench, Step
from table import Row, actions, seconds


@dataclass(frozen=True)
class ColdBuild:
    """The cold build's time and processes."""

    build: Build


def run(bench: Bench) -> ColdBuild:
    """Builds every image, then reads the list of images (//images:list) for the other steps."""
    cold = bench.bazel.run("build", ALL_IMAGES, name="cold-build")
    say(
        f"    cold build: {seconds(cold.seconds)} ({seconds(cold.analysis)} of it fetching repositories and "
        f"analysing), {actions(cold.processes)}"
    )
    bench.read_images()
    return ColdBuild(Build.of(cold))


def rows(results: Results) -> list[Row]:
    """The cold build, and how much of it came before any action ran."""
    cold = results.get(ColdBuild)
    if cold is None:
        return []
    lines = [Row(f"cold build of {'+'.join(results.images)}, nothing cached", cold.build.text())]
    if cold.build.analysis_seconds is not None:
        lines.append(Row("  of it: downloads, fetching repositories, analysis", seconds(cold.build.analysis_seconds)))
    return lines


STEP = Step("cold_build", "cold build of every image: fresh output base, empty repository cache, no remote cache", run)
