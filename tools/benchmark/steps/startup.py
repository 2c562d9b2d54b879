"""Fresh container to /readyz, with the bytecode the image ships and without any: base and the images with a model.

Each image is loaded with `tools/bazel run` of its load target and started
three times each way, alternating, as a fresh container on a read-only root
(e2e.py --read-only: nothing can be written, so nothing but the image's
bytecode can be used). "Without" is the same image with PYTHONPYCACHEPREFIX
pointing at an empty directory: Python then neither finds the image's pycs nor
writes any, and compiles every module it imports, as the images did before
they shipped bytecode. base embeds through the OpenAI-compatible stub
(deploy/embeddings_stub.py, run by the host's python3); an image with a model
finds it cached in the volume the container start step filled.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass

import e2e
from bazel import REPO
from commands import BenchError, say, stop
from loopback_ports import free_port
from results import PerImage, Results, per_image_rows
from session import Bench, ImageEntry, container_step
from steps.container_start import filled_model_cache
from table import Row, median_text, ratio

ROUNDS = 3
# The images measured besides those with a model: they embed through an OpenAI-compatible API (the stub).
API_IMAGES = ("base",)
STUB = REPO / "deploy" / "embeddings_stub.py"
# Where Python looks for bytecode instead of __pycache__: an empty directory, so none is found.
NO_BYTECODE = {"PYTHONPYCACHEPREFIX": "/tmp/no-bytecode"}  # noqa: S108 - the container's tmpfs


@dataclass(frozen=True)
class Starts:
    """One image's start times, with the image's bytecode and without any."""

    with_bytecode: tuple[float, ...]
    without_bytecode: tuple[float, ...]


class Startup(PerImage[Starts]):
    """Per image."""


def _stub(bench: Bench) -> str:
    """Starts the embeddings stub on a free port; its base URL."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "DIMENSION": "1536"}
    with (bench.work / "logs" / "embeddings-stub.log").open("w") as log:
        proc = subprocess.Popen(["python3", str(STUB)], env=env, stdout=log, stderr=log)  # noqa: S607
    bench.cleanups.append(lambda: stop(proc))
    deadline = time.monotonic() + 30
    while e2e.http_status(f"http://127.0.0.1:{port}/healthz") != 200:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"the embeddings stub did not start; log: {bench.work / 'logs' / 'embeddings-stub.log'}")
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}/v1"


def run(bench: Bench) -> Startup:
    """Starts base and every image with a model, with and without bytecode."""
    measured = [entry for entry in bench.images if entry.model or entry.name in API_IMAGES]
    stub = _stub(bench) if any(not entry.model for entry in measured) else ""
    return Startup({entry.name: _starts(bench, entry, database, stub) for database, entry in enumerate(measured, 1)})


def _starts(bench: Bench, entry: ImageEntry, database: int, stub: str) -> Starts:
    bench.bazel.run("run", entry.load, name=f"{entry.name}-load")
    if entry.model:
        models, env = filled_model_cache(bench, entry), {}
    else:
        models, env = bench.work / "models" / "none", {"DOCINTEL_OPENAI_BASE_URL": stub}
        models.mkdir(parents=True, exist_ok=True)
    container = f"docintel-bench-{os.getpid()}-{entry.name}-start"
    bench.cleanups.append(lambda: e2e.remove(container))
    runs: dict[bool, list[float]] = {True: [], False: []}
    for number in range(1, ROUNDS + 1):
        for shipped in (True, False):
            took = e2e.start(
                entry.repo_tag,
                name=container,
                port=free_port(),
                redis_url=f"{bench.redis_url()}/{database}",
                models=models,
                env=env if shipped else env | NO_BYTECODE,
                read_only=True,
            )
            e2e.remove(container)
            runs[shipped].append(took)
            say(f"    {entry.name}: round {number}, {'with' if shipped else 'without'} bytecode: ready in {took:.1f} s")
    return Starts(tuple(runs[True]), tuple(runs[False]))


def rows(results: Results) -> list[Row]:
    """Per image: the median start with the image's bytecode, and without (the ratio: how much faster)."""
    return per_image_rows(results, Startup, _image_rows)


def _image_rows(name: str, starts: Starts) -> list[Row]:
    shipped, none = statistics.median(starts.with_bytecode), statistics.median(starts.without_bytecode)
    return [
        Row(
            f"{name}: fresh read-only container -> /readyz, bytecode in the image",
            median_text(shipped, list(starts.with_bytecode)),
            f"no bytecode: {median_text(none, list(starts.without_bytecode))}",
            ratio(none, shipped),
        )
    ]


STEP = container_step(
    "startup",
    "fresh read-only container -> /readyz, with the image's bytecode and without (base and the images with a model)",
    run,
)
