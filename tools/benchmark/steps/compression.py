"""gzip or zstd layers: every image built both ways; each image with a model pulled into an empty store and started.

For each compression: `bazel build --//tools/oci:compression=<c>` of every
image (compressed sizes), `bazel run` of the image's push target to the bench's
loopback registry (REGISTRY/compression/<c>/<image>). Then, alternating gzip
and zstd, three rounds of: a new empty podman store (podman_store.py), `podman
pull` of the image (what podman really does: containers/storage decompresses
each layer and applies it), and a start to /readyz with the model cached in the
volume the container start step filled. It runs last: the flag changes the
outputs under bazel-bin, and the other steps read the default build there.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass

import e2e
from commands import say
from loopback_ports import free_port
from oci_layout import Layout
from podman_store import EmptyStore
from results import Results
from session import ALL_IMAGES, Bench, ImageEntry, container_step
from steps.container_start import filled_model_cache
from table import Row, mb, median_text, ratio, seconds

COMPRESSIONS = ("gzip", "zstd")
FLAG = "--//tools/oci:compression="
ROUNDS = 3


@dataclass(frozen=True)
class PullStart:
    """One pull into an empty store and the start that follows."""

    pull_seconds: float
    start_seconds: float

    @property
    def seconds(self) -> float:
        """Pull plus start."""
        return self.pull_seconds + self.start_seconds


@dataclass(frozen=True)
class Compressions:
    """Compressed bytes per compression and image, and per image with a model, its pulls per compression."""

    sizes: dict[str, dict[str, int]]
    pulls: dict[str, dict[str, tuple[PullStart, ...]]]


def median(runs: tuple[PullStart, ...]) -> float:
    """The median of pull plus start."""
    return statistics.median(run.seconds for run in runs)


def run(bench: Bench) -> Compressions:
    """Builds and pushes both ways, then pulls and starts each image with a model."""
    registry = bench.registry().address
    pulled = [entry for entry in bench.images if entry.model]
    sizes: dict[str, dict[str, int]] = {}
    for compression in COMPRESSIONS:
        bench.bazel.run("build", FLAG + compression, ALL_IMAGES, name=f"build-{compression}")
        sizes[compression] = {
            entry.name: sum(layer.size for layer in Layout(bench.bazel.output(entry.image)).layers())
            for entry in bench.images
        }
        say(f"    {compression}: " + ", ".join(f"{name} {mb(size)}" for name, size in sizes[compression].items()))
        for entry in pulled:
            repository = f"{registry}/compression/{compression}/{entry.name}"
            bench.bazel.run("run", FLAG + compression, entry.push, "--", "--repository", repository, name="push")
    pulls = {entry.name: _pulls(bench, entry, registry) for entry in pulled}
    return Compressions(sizes, pulls)


def _pulls(bench: Bench, entry: ImageEntry, registry: str) -> dict[str, tuple[PullStart, ...]]:
    models = filled_model_cache(bench, entry)
    container = f"docintel-bench-{os.getpid()}-{entry.name}-pull"
    runs: dict[str, list[PullStart]] = {compression: [] for compression in COMPRESSIONS}
    for number in range(1, ROUNDS + 1):
        for compression in COMPRESSIONS:
            image = f"{registry}/compression/{compression}/{entry.name}:latest"
            with EmptyStore(bench.work / "store"):
                pull = bench.command(["podman", "pull", "--tls-verify=false", image], name=f"pull-{compression}")
                start = e2e.start(
                    image, name=container, port=free_port(), redis_url=f"{bench.redis_url()}/9", models=models
                )
                e2e.remove(container)
            runs[compression].append(PullStart(pull.seconds, start))
            took = f"pull {seconds(pull.seconds)}, ready in {seconds(start)}"
            say(f"    {entry.name} {compression}, round {number}: {took}")
    return {compression: tuple(found) for compression, found in runs.items()}


def rows(results: Results) -> list[Row]:
    """Compressed sizes both ways; per image with a model, pull + start both ways (ratio: gzip / zstd)."""
    found = results.get(Compressions)
    if found is None:
        return []
    names = list(found.sizes[COMPRESSIONS[0]])
    lines = [
        Row(
            "images, MB compressed: " + " / ".join(COMPRESSIONS),
            ", ".join(
                f"{name} " + "/".join(f"{found.sizes[c][name] / 1e6:.1f}" for c in COMPRESSIONS) for name in names
            ),
        )
    ]
    for name, pulls in found.pulls.items():
        gzip, zstd = median(pulls["gzip"]), median(pulls["zstd"])
        for compression in COMPRESSIONS:
            runs = pulls[compression]
            pull = statistics.median(run.pull_seconds for run in runs)
            start = statistics.median(run.start_seconds for run in runs)
            lines.append(
                Row(
                    f"{name}: pull into an empty store + start -> /readyz, {compression}",
                    median_text(median(runs), [run.seconds for run in runs])
                    + f"; pull {seconds(pull)}, start {seconds(start)}",
                    "",
                    f"{ratio(gzip, zstd)} gzip/zstd" if compression == "zstd" else "",
                )
            )
    return lines


STEP = container_step(
    "compression",
    "gzip and zstd: every image built both ways; pull + start of each image with a model, three rounds each way",
    run,
)
