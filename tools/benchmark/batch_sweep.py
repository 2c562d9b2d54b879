"""Embedding throughput and peak memory against the batch size: one fresh container per size and round.

    tools/bazel run //images:ml_onnx_load && tools/bazel run //models:minilm_onnx_load
    python3 tools/benchmark/batch_sweep.py docintel/ml_onnx:latest docintel/minilm-onnx:latest --sizes 1,2,4,8,16,32,64

Each run is measure_embedder.py in a new container of IMAGE (no network, the
files of MODEL_IMAGE read-only at /models) with DOCINTEL_EMBEDDING_BATCH_SIZE
set: texts per second on TEXTS texts of about 128 tokens, single-query
latency, and the process's peak resident memory (VmHWM: the model loaded and
the largest batch run). Of the rounds, the best throughput and latency and the
lowest peak count. The service's batch size for a local model comes from this
sweep (service/README.md, "Embedding batch size"). The host's python3 runs
it, standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import e2e
import measure_embedder

QUERIES = 50
MB = 1e6


@dataclass(frozen=True)
class Point:
    """One batch size's figures, the best of its rounds."""

    batch_size: int
    texts_per_second: float
    query_p50_ms: float
    peak_bytes: float


def batch_sizes(text: str) -> list[int]:
    """An argparse type: comma-separated batch sizes of at least 1, e.g. ``4,8,16``."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers of at least 1, not {text!r}")
    return sizes


def measure(image: str, models: Path, batch_size: int, texts: int, env: Sequence[str] = ()) -> dict[str, Any]:
    """measure_embedder.py's figures from a new container of `image` embedding in batches of `batch_size`.

    `env` holds more NAME=VALUE settings of the container (another model, for instance).
    """
    podman = ["run", "--rm", "-i", "--network", "none", "--read-only", "--tmpfs", "/tmp"]  # noqa: S108
    podman += ["-v", f"{models}:/models:ro", "-e", f"DOCINTEL_EMBEDDING_BATCH_SIZE={batch_size}"]
    podman += [f"--env={setting}" for setting in env]
    podman += ["--entrypoint", measure_embedder.PYTHON, image]
    return measure_embedder.run(podman, texts, QUERIES, e2e.E2EError)


def best(batch_size: int, rounds: Sequence[dict[str, Any]]) -> Point:
    """The best of a batch size's rounds: the least disturbed."""
    return Point(
        batch_size,
        max(r["texts_per_second"] for r in rounds),
        min(r["query_p50_ms"] for r in rounds),
        min(r["peak_rss_bytes"] for r in rounds),
    )


def render(points: Sequence[Point]) -> str:
    """A Markdown table, throughput and memory beside the largest batch's."""
    largest = max(points, key=lambda point: point.batch_size)
    lines = [
        "| batch size | texts/s | vs largest | peak memory | vs largest | single-query p50 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for point in points:
        speed = point.texts_per_second / largest.texts_per_second
        memory = (point.peak_bytes - largest.peak_bytes) / MB
        lines.append(
            f"| {point.batch_size} | {point.texts_per_second:.1f} | {speed:.2f}x | {point.peak_bytes / MB:.0f} MB "
            f"| {memory:+.0f} MB | {point.query_p50_ms:.1f} ms |"
        )
    return "\n".join(lines)


def measure_rounds(args: argparse.Namespace, models: Path, batch_size: int) -> list[dict[str, Any]]:
    """`args.rounds` runs of measure_embedder.py at `batch_size`, each in a fresh container; progress on stderr."""
    rounds = []
    for number in range(1, args.rounds + 1):
        print(f"batch size {batch_size}, round {number} of {args.rounds} ...", file=sys.stderr)
        rounds.append(measure(args.image, models, batch_size, args.texts, args.env))
    return rounds


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", help="the image to measure, loaded into podman (e.g. docintel/ml_onnx:latest)")
    parser.add_argument("model_image", help="its model image, loaded into podman (e.g. docintel/minilm-onnx:latest)")
    parser.add_argument("--sizes", type=batch_sizes, default=[1, 2, 4, 8, 16, 32, 64], help="default 1,2,...,64")
    parser.add_argument("--rounds", type=int, default=2, help="runs per batch size (default 2)")
    parser.add_argument("--texts", type=int, default=256, help="texts embedded per run (default 256)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the containers, e.g. DOCINTEL_ONNX_MODEL=all-MiniLM-L6-v2-onnx-int8 (repeatable)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Sweeps the batch sizes and prints the table; 1 with the reason when a run fails."""
    parser = _arguments()
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.texts < 1:
        parser.error("--rounds and --texts take whole numbers of at least 1")
    if shutil.which("podman") is None:
        print("batch_sweep: podman is not installed; fix: apt-get install -y podman", file=sys.stderr)
        return 1
    try:
        models = e2e.mount_model(args.model_image)
    except e2e.E2EError as error:
        print(
            f"batch_sweep: {error}; load the model image first, e.g. tools/bazel run //models:minilm_onnx_load",
            file=sys.stderr,
        )
        return 1
    try:
        points = [best(size, measure_rounds(args, models, size)) for size in args.sizes]
    except e2e.E2EError as error:
        print(f"batch_sweep: {error}\nis the image loaded? e.g. tools/bazel run //images:ml_onnx_load", file=sys.stderr)
        return 1
    finally:
        e2e.unmount_model(args.model_image)
    settings = "".join(f", {setting}" for setting in args.env)
    print(f"{args.image}{settings}: {args.texts} texts of about 128 tokens, best of {args.rounds} round(s)")
    print(render(points))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
