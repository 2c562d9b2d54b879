"""The seed's approach: ONE image from tools/benchmark/seed/Dockerfile, `podman build --no-cache`, pushed.

Built on our Debian root file system (no base image can be pulled here) from
the context //tools/benchmark:seed_context; pushed to the bench's registry with
`podman push` and copied back into an OCI layout for the size report.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import seed_image
from commands import Run, say
from results import Push, Results
from session import Bench, Step
from table import Row, seconds

SEED_CONTEXT = "//tools/benchmark:seed_context"
REPOSITORY = "bench/seed"


@dataclass(frozen=True)
class SeedBuild:
    """The seed image's build and first push."""

    seconds: float
    push: Push


def build_seed(bench: Bench, name: str, *, no_cache: bool) -> Run:
    """Packs the seed's build context with Bazel, unpacks it, and runs `podman build` on it."""
    bench.bazel.run("build", SEED_CONTEXT, name=f"{name}-context")
    context = seed_image.unpack_context(bench.bazel.output(SEED_CONTEXT, ".tar.gz"), bench.work / "seed")
    return bench.command(seed_image.build_command(context, no_cache=no_cache), name=name)


def push_seed(bench: Bench, name: str) -> Push:
    """`podman push` of the seed image: registry growth (= bytes uploaded; podman does not say which blobs it had)."""
    registry = bench.registry()
    before, blobs = registry.stored_bytes(), registry.blobs()
    run = bench.command(seed_image.push_command(registry.address, REPOSITORY), name=name)
    grown = registry.stored_bytes() - before
    return Push(run.seconds, grown, registry.blobs() - blobs, grown)


def run(bench: Bench) -> SeedBuild:
    """Builds, pushes and copies out the seed image."""
    bench.cleanups.append(seed_image.remove_images)
    bench.cleanups.append(lambda: shutil.rmtree(bench.seed_layout, ignore_errors=True))
    build = build_seed(bench, "seed-build", no_cache=True)
    say(f"    seed image built in {seconds(build.seconds)}; pushing it ...")
    push = push_seed(bench, "push-seed-first")
    seed_image.fetch_layout(bench.registry().address, REPOSITORY, bench.seed_layout)
    say(f"    pushed {push.text()}")
    return SeedBuild(build.seconds, push)


def rows(results: Results) -> list[Row]:
    """The seed image's cold build."""
    seed = results.get(SeedBuild)
    return [Row("seed image: podman build --no-cache (wheels at hand)", "", seconds(seed.seconds))] if seed else []


STEP = Step(
    "seed_build",
    "the seed's approach: podman build --no-cache of tools/benchmark/seed/Dockerfile",
    run,
    wanted=lambda options: not options.skip_seed,
)
