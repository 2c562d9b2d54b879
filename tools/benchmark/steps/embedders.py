"""Embedders: the images with a local model side by side, and their models' variants.

ml runs its model on torch, ml_onnx on ONNX Runtime, and ml_onnx again
the int8 variant of its model (VARIANTS).

Each image runs (tools/benchmark/e2e.py) on the model cache the container
start step filled and a loopback redis-server. Measured, the images taking
turns for ROUNDS rounds so that a busy machine weighs on each alike:

- measure_embedder.py inside the container (`podman exec`, the image's own
  python3.11 and embedder, no Redis): throughput on texts of about 128 tokens
  in batches of 32 (issue 13's measure) and in the service's own batches (8 by
  default for a local model), single-query latency p50 and p90, the model's
  load time;
  the best round of each figure counts (the least disturbed);
- the service's resident memory (VmRSS of the container's PID 1) once ready,
  and again after it ingested one document of 32 chunks.

A variant starts on a model cache of its own, filled on its first start from
its model image (mounted as the mirror). Start times and sizes are the startup
and sizes steps' figures.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import e2e
import measure_embedder
from chart import Bar
from commands import BenchError, say
from loopback_ports import free_port
from results import PerImage, Results
from session import Bench, ImageEntry, container_step
from steps.container_start import filled_model_cache, mounted_model
from table import Row, ratio

ROUNDS = 3
TEXTS = 256
BATCH = 32
"""The batch of the throughput compared across images (issue 13's: batches of 32 texts of about 128 tokens)."""
QUERIES = 50
MB = 1e6
# 32 paragraphs of about 700 characters: 32 chunks (of at most 800), embedded in one batch.
_PARAGRAPH = " ".join(["the river flows past the old mill and the town"] * 15)
DOCUMENT = "\n\n".join(f"Paragraph {n}: {_PARAGRAPH}" for n in range(32))


@dataclass(frozen=True)
class Embedding:
    """One image's figures: the best round of each, and memory."""

    texts_per_second: float
    query_p50_ms: float
    query_p90_ms: float
    load_seconds: float
    tokens_per_text: float
    rss_ready_bytes: float
    rss_in_use_bytes: float
    batch_size: int
    service_texts_per_second: float


class Embedders(PerImage[Embedding]):
    """Per image with a local model."""


@dataclass(frozen=True)
class Variant:
    """An image with another of its models: its name in the table, the model image's load target, the setting."""

    image: str
    name: str
    model_load: str
    env: Mapping[str, str] = field(default_factory=dict)


VARIANTS = (
    Variant(
        "ml_onnx",
        "ml_onnx int8",
        "//models:minilm_onnx_int8_load",
        {"DOCINTEL_ONNX_MODEL": "all-MiniLM-L6-v2-onnx-int8"},
    ),
)


@dataclass
class _Running:
    """One measured container (an image, or an image with a variant's model) and its rounds."""

    name: str
    container: str
    port: int
    rounds: list[dict[str, Any]]


def run(bench: Bench) -> Embedders:
    """Starts every image with a model (and its variants), measures each in turns, removes the containers."""
    entries = [entry for entry in bench.images if entry.model]
    running = [_start(bench, entry, database) for database, entry in enumerate(entries, 1)]
    by_name = {entry.name: entry for entry in entries}
    variants = [variant for variant in VARIANTS if variant.image in by_name]
    for database, variant in enumerate(variants, len(running) + 1):
        running.append(_start_variant(bench, by_name[variant.image], variant, database))
    for number in range(1, ROUNDS + 1):
        for image in running:
            figures = _measure(image.container)
            image.rounds.append(figures)
            service = _in_service_batches(figures)
            say(
                f"    {image.name}: round {number}: {figures['texts_per_second']:.1f} texts/s in batches of {BATCH}, "
                f"{service['texts_per_second']:.1f} in batches of {service['batch_size']}, "
                f"query p50 {figures['query_p50_ms']:.1f} ms"
            )
    results = {}
    for image in running:
        ready = _resident_bytes(image.container)
        e2e.post(f"http://127.0.0.1:{image.port}/v1/documents", {"id": "bench", "title": "bench", "text": DOCUMENT})
        results[image.name] = _best(image.rounds, ready, _resident_bytes(image.container))
        e2e.remove(image.container)
    return Embedders(results)


def _start(bench: Bench, entry: ImageEntry, database: int) -> _Running:
    return _run(bench, entry, entry.name, database, models=filled_model_cache(bench, entry))


def _start_variant(bench: Bench, entry: ImageEntry, variant: Variant, database: int) -> _Running:
    """The image on a fresh model cache, filled from the variant's model image on the first /readyz."""
    say(f"    {variant.name}: loading {variant.model_load} into podman ...")
    bench.bazel.run("build", variant.model_load, "--output_groups=tarball", name=f"{entry.name}-variant-build")
    mirror = mounted_model(bench, variant.model_load)
    models = bench.work / "models" / variant.name.replace(" ", "-")
    models.mkdir(parents=True)
    models.chmod(0o777)
    return _run(bench, entry, variant.name, database, models=models, mirror=mirror, env=variant.env)


def _run(
    bench: Bench,
    entry: ImageEntry,
    name: str,
    database: int,
    *,
    models: Path,
    mirror: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> _Running:
    container, port = f"docintel-bench-{os.getpid()}-{name.replace(' ', '-')}-embed", free_port()
    bench.cleanups.append(lambda: e2e.remove(container))
    redis_url = f"{bench.redis_url()}/{database}"
    e2e.start(entry.repo_tag, name=container, port=port, redis_url=redis_url, models=models, mirror=mirror, env=env)
    return _Running(name, container, port, [])


def _measure(container: str) -> dict[str, Any]:
    """measure_embedder.py's figures, run in the container by the image's python3.11.

    Its `throughput` holds batches of BATCH first, then the service's own batches.
    """
    podman = ["exec", "-i", container, measure_embedder.PYTHON]
    return measure_embedder.run(podman, TEXTS, QUERIES, BenchError, batches=(BATCH, measure_embedder.SERVICE))


def _in_service_batches(figures: dict[str, Any]) -> dict[str, Any]:
    """The throughput of a _measure run in the service's own batches (its second batch size)."""
    service: dict[str, Any] = figures["throughput"][1]
    return service


def _resident_bytes(container: str) -> float:
    """VmRSS of the container's PID 1 (the service), read from the host's /proc."""
    pid = e2e.podman("inspect", "--format", "{{.State.Pid}}", container).stdout.strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for {container} (pid {pid})")


def _best(rounds: list[dict[str, Any]], ready: float, in_use: float) -> Embedding:
    return Embedding(
        texts_per_second=max(r["texts_per_second"] for r in rounds),
        query_p50_ms=min(r["query_p50_ms"] for r in rounds),
        query_p90_ms=min(r["query_p90_ms"] for r in rounds),
        load_seconds=min(r["load_seconds"] for r in rounds),
        tokens_per_text=rounds[0]["tokens_per_text"],
        rss_ready_bytes=ready,
        rss_in_use_bytes=in_use,
        batch_size=int(_in_service_batches(rounds[0])["batch_size"]),
        service_texts_per_second=max(_in_service_batches(r)["texts_per_second"] for r in rounds),
    )


def _compared(name: str, versus: str, label: str, value: str, gain: str) -> Row:
    """One image's row; its gain over the reference image only when it is compared (`versus` not empty)."""
    return Row(f"{name}: {label}", value, versus, gain if versus else "")


def rows(results: Results) -> list[Row]:
    """Per image: throughput, query latency, memory, model load; the ratio to the first image (ml)."""
    embedders = results.get(Embedders)
    if embedders is None or not embedders.images:
        return []
    reference_name, reference = next(iter(embedders.images.items()))
    lines = []
    for name, figures in embedders.images.items():
        versus = f"vs {reference_name}" if name != reference_name else ""
        lines += [
            _compared(
                name,
                versus,
                f"embedding throughput, batches of {BATCH} texts of {figures.tokens_per_text:.0f} tokens",
                f"{figures.texts_per_second:.1f} texts/s",
                ratio(figures.texts_per_second, reference.texts_per_second),
            ),
            _compared(
                name,
                versus,
                f"the same in the service's batches of {figures.batch_size}",
                f"{figures.service_texts_per_second:.1f} texts/s",
                ratio(figures.service_texts_per_second, reference.service_texts_per_second),
            ),
            _compared(
                name,
                versus,
                "single-query embed latency p50 (p90)",
                f"{figures.query_p50_ms:.1f} ms ({figures.query_p90_ms:.1f})",
                ratio(reference.query_p50_ms, figures.query_p50_ms),
            ),
            _compared(
                name,
                versus,
                "service memory (VmRSS) once ready / after a 32-chunk ingest",
                f"{figures.rss_ready_bytes / MB:.0f} / {figures.rss_in_use_bytes / MB:.0f} MB",
                ratio(reference.rss_ready_bytes, figures.rss_ready_bytes),
            ),
            Row(f"{name}: model load in a fresh process", f"{figures.load_seconds:.2f} s"),
        ]
    return lines


def bars(results: Results) -> list[Bar]:
    """Each image (and variant) after the first against the first (ml): time, latency, memory, model load."""
    embedders = results.get(Embedders)
    if embedders is None or len(embedders.images) < 2:
        return []
    (_, reference), *others = embedders.images.items()
    lines = []
    for name, figures in others:
        lines += [
            Bar(f"{name}: embed 1,000 texts", 1000 / figures.texts_per_second, 1000 / reference.texts_per_second, "s"),
            Bar(f"{name}: single-query latency p50", figures.query_p50_ms, reference.query_p50_ms, "ms"),
            Bar(f"{name}: memory once ready", figures.rss_ready_bytes, reference.rss_ready_bytes, "bytes"),
            Bar(f"{name}: memory after an ingest", figures.rss_in_use_bytes, reference.rss_in_use_bytes, "bytes"),
            Bar(f"{name}: model load", figures.load_seconds, reference.load_seconds, "s"),
        ]
    return lines


STEP = container_step(
    "embedders", "the images with a local model side by side: embedding throughput, query latency, memory", run
)
