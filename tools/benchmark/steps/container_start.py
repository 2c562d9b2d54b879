"""Container start: each image that embeds with a local model, from `podman run` to a 200 from /readyz.

The image is loaded into podman, a loopback redis-server started, and the
image run (tools/benchmark/e2e.py) with --network host and an empty model
volume at /models: the first start fetches the model from its model image
(mounted as the mirror), the second finds it cached. An ingest and a search
then check the service answers right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import e2e
from commands import BenchError, say
from loopback_ports import free_port
from results import PerImage, Results, per_image_rows
from session import Bench, ImageEntry, Step, runs_containers
from table import Row, seconds

# No word of it is in the cat document: only real embeddings rank that first.
SEMANTIC_QUERY = "which pet hunts rodents?"


@dataclass(frozen=True)
class Starts:
    """One image's load and its two starts."""

    podman_load_seconds: float
    first_start_seconds: float
    second_start_seconds: float


class ContainerStarts(PerImage[Starts]):
    """Starts per image."""


def model_cache(bench: Bench, entry: ImageEntry) -> Path:
    """The model cache volume of an image with a model: filled by this step's first start, reused by later steps."""
    return bench.work / "models" / entry.name


def filled_model_cache(bench: Bench, entry: ImageEntry) -> Path:
    """The model cache this step filled for `entry`, for the steps after it; BenchError if it has not run."""
    models = model_cache(bench, entry)
    if not models.is_dir():
        raise BenchError(f"no model cache for {entry.name}: the container start step fills {models}")
    return models


def mounted_model(bench: Bench, model_load: str) -> Path:
    """`podman load` of a model image's tarball (already built), mounted until the run ends: its model directory."""
    tarball = bench.bazel.output(model_load, "/tarball.tar")
    loaded = bench.command(["podman", "load", "-i", str(tarball)], name="model-load")
    model_image = e2e.loaded_image(loaded.log)
    mirror = e2e.mount_model(model_image)
    bench.cleanups.append(lambda: e2e.unmount_model(model_image))
    return mirror


def run(bench: Bench) -> ContainerStarts:
    """Starts every image that has a model, twice."""
    redis_url = bench.redis_url() + "/0"
    return ContainerStarts({e.name: _starts(bench, e, e.model, redis_url) for e in bench.images if e.model})


def _starts(bench: Bench, entry: ImageEntry, model: str, redis_url: str) -> Starts:
    say(f"    loading {entry.name} and its model image into podman ...")
    bench.bazel.run("build", entry.load, model, "--output_groups=tarball", name=f"{entry.name}-load-build")
    load = bench.command(
        ["podman", "load", "-i", str(bench.bazel.output(entry.load, "/tarball.tar"))], name="podman-load"
    )
    mirror = mounted_model(bench, model)
    cache = model_cache(bench, entry)
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    container, port = f"docintel-bench-{os.getpid()}-{entry.name}", free_port()
    bench.cleanups.append(lambda: e2e.remove(container))

    def start(label: str, mirror: Path | None) -> float:
        say(f"    {entry.name}: {label} start ({'model fetched from its image' if mirror else 'model cached'}) ...")
        took = e2e.start(entry.repo_tag, name=container, port=port, redis_url=redis_url, models=cache, mirror=mirror)
        say(f"    {entry.name}: {label} start: ready in {seconds(took)}")
        return took

    first = start("first", mirror)
    if not any(path.is_file() for path in cache.rglob("*")):
        raise BenchError(f"the first start of {entry.name} did not fetch the model into {cache}")
    second = start("second", None)
    hits = e2e.check(f"http://127.0.0.1:{port}", SEMANTIC_QUERY)
    say(f"    {entry.name}: search {SEMANTIC_QUERY!r} ranks {hits[0].document_id} first")
    e2e.remove(container)
    return Starts(load.seconds, first, second)


def rows(results: Results) -> list[Row]:
    """Per image: start to ready with the model fetched, and cached."""
    return per_image_rows(results, ContainerStarts, _image_rows)


def _image_rows(name: str, start: Starts) -> list[Row]:
    return [
        Row(f"{name}: podman run -> /readyz 200, model fetched", seconds(start.first_start_seconds)),
        Row(f"{name}: podman run -> /readyz 200, model cached", seconds(start.second_start_seconds)),
    ]


STEP = Step(
    "container_start",
    "container start -> /readyz of each image with a local model",
    run,
    wanted=runs_containers,
)
