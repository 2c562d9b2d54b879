"""Remote cache: nginx as an HTTP cache with the `ci` config's flags; rebuilds after clean and clean --expunge.

Clean, build with upload; then clean and rebuild; then vendor the external
repositories (Bazel 8's repository contents cache does this by itself),
clean --expunge and rebuild. Each rebuild runs REBUILD_REPEATS times: the
median and the range are reported, with remote cache hits and cold/warm ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands import say
from results import Build, Results
from session import ALL_IMAGES, Bench, Step
from steps.cold_build import ColdBuild
from table import Row, median_text, ratio, seconds

# Rebuilds from the cache take seconds and vary by about a second from run to
# run: each is measured this many times, and the median is reported.
REBUILD_REPEATS = 3


@dataclass(frozen=True)
class Rebuilds:
    """The median of REBUILD_REPEATS rebuilds, and every rebuild's seconds."""

    median: Build
    all_seconds: tuple[float, ...]

    @property
    def hits(self) -> int:
        """Remote cache hits of the median rebuild."""
        return self.median.processes.by_kind.get("remote cache hit", 0) if self.median.processes else 0

    def text(self) -> str:
        """`8.1 s (median of 3: 7.9-8.1 s)`."""
        return median_text(self.median.seconds, self.all_seconds)


@dataclass(frozen=True)
class RemoteCache:
    """Filling the cache, and rebuilding from it."""

    fill: Build
    cache_bytes: int
    after_clean: Rebuilds
    after_expunge: Rebuilds


def run(bench: Bench) -> RemoteCache:
    """Fills a fresh cache, then rebuilds from it after clean and after clean --expunge."""
    cache = bench.remote_cache()
    build = ["build", "--config=ci", f"--remote_cache={cache.url}", ALL_IMAGES]
    bench.bazel.run("clean", name="clean")
    fill = Build.of(bench.bazel.run(*build, name="cache-fill-build"))
    stored = cache.stored_bytes()
    say(f"    filled the cache ({stored / 1e6:,.1f} MB) in {seconds(fill.seconds)}; clean, rebuild from it ...")
    clean = _median_rebuild(bench, ["clean"], build, "clean-warm-build")
    say(f"    after clean: {clean.text()}; clean --expunge, rebuild (repositories in a vendor directory) ...")
    vendor = f"--vendor_dir={bench.vendor_dir}"
    bench.bazel.run("vendor", vendor, ALL_IMAGES, name="vendor")
    expunge = _median_rebuild(bench, ["clean", "--expunge"], [*build[:-1], vendor, ALL_IMAGES], "warm-build")
    analysis = seconds(expunge.median.analysis_seconds)
    say(f"    after clean --expunge: {expunge.text()} ({analysis} of it fetching and analysing), {expunge.hits} hits")
    return RemoteCache(fill, stored, clean, expunge)


def _median_rebuild(bench: Bench, wipe: list[str], build: list[str], name: str) -> Rebuilds:
    """Wipes and rebuilds REBUILD_REPEATS times."""
    runs = []
    for attempt in range(1, REBUILD_REPEATS + 1):
        bench.bazel.run(*wipe, name=f"{name}-wipe-{attempt}")
        runs.append(Build.of(bench.bazel.run(*build, name=f"{name}-{attempt}")))
    runs.sort(key=lambda run: run.seconds)
    return Rebuilds(runs[len(runs) // 2], tuple(run.seconds for run in runs))


def rows(results: Results) -> list[Row]:
    """Rebuilds from the cache after clean and clean --expunge, against the cold build."""
    cache, cold = results.get(RemoteCache), results.get(ColdBuild)
    if cache is None:
        return []
    cold_seconds = cold.build.seconds if cold else None
    lines = [
        Row(
            "remote cache, after clean: build+upload -> rebuild",
            f"{seconds(cache.fill.seconds)} -> {cache.after_clean.text()}, {cache.after_clean.hits} hits",
            "",
            ratio(cold_seconds, cache.after_clean.median.seconds) + " cold/warm",
        ),
        Row(
            "remote cache, after clean --expunge (vendored repos)",
            f"{cache.after_expunge.text()}, {cache.after_expunge.hits} hits",
            "",
            ratio(cold_seconds, cache.after_expunge.median.seconds) + " cold/warm",
        ),
    ]
    if cache.after_expunge.median.analysis_seconds is not None:
        lines.append(
            Row("  of it: fetching repositories + analysis", seconds(cache.after_expunge.median.analysis_seconds))
        )
    return lines


STEP = Step("remote_cache", "warm remote cache: nginx on loopback, clean, build with upload, rebuilds", run)
