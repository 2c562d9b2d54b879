"""No-op rebuild: every image again, nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

from bazel_log import packages_loaded
from commands import say
from results import Build, Results
from session import ALL_IMAGES, Bench, Step
from table import Row, seconds


@dataclass(frozen=True)
class NoopBuild:
    """The no-op rebuild; if Bazel reloaded packages the first time, that attempt too."""

    build: Build
    first_attempt: Build | None = None
    packages_reloaded: int = 0


def run(bench: Bench) -> NoopBuild:
    """Builds every image again; measures once more if Bazel reloaded packages."""
    noop = bench.bazel.run("build", ALL_IMAGES, name="noop-build")
    reloaded = packages_loaded(noop.log)
    if not reloaded:
        say(f"    no-op rebuild: {Build.of(noop).text()}")
        return NoopBuild(Build.of(noop))
    # Something changed a globbed directory since the cold build: the build's
    # own Python actions write bytecode into @python3_11's standard library
    # (its BUILD globs usr/**), or someone edited the workspace.
    say(
        f"    Bazel reloaded {reloaded} package(s) since the cold build ({seconds(noop.seconds)}; the cold "
        "build's Python wrote bytecode into @python3_11, or files changed); measuring the no-op again"
    )
    again = bench.bazel.run("build", ALL_IMAGES, name="noop-build-again")
    say(f"    no-op rebuild: {Build.of(again).text()}")
    return NoopBuild(Build.of(again), Build.of(noop), reloaded)


def rows(results: Results) -> list[Row]:
    """The no-op rebuild (and the first attempt, if packages were reloaded)."""
    noop = results.get(NoopBuild)
    if noop is None:
        return []
    first = noop.first_attempt
    note = f" (1st: {seconds(first.seconds)}, {noop.packages_reloaded} pkg reloaded)" if first else ""
    return [Row("no-op rebuild", noop.build.text() + note)]


STEP = Step("noop_build", "no-op rebuild", run)
