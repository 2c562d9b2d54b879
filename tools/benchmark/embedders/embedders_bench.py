"""The two local-embedding images side by side: ml (sentence-transformers on torch) and ml_onnx (ONNX Runtime).

usage: python3 tools/benchmark/embedders/embedders_bench.py [--starts N] [--batches N] [--queries N]
                                                           [--json FILE] [--name-prefix P]

Run it on the host (the host's python3 >= 3.11, standard library only): it
drives podman, which `bazel run` cannot reach from the build root. Nothing is
asserted; every figure is measured in this run and printed in one table, next
to issue 13's targets for ml_onnx.

1. build      `tools/bazel build` of both images, their podman tarballs and the
              model images (//models:minilm_image, //models:minilm_onnx_image)
2. sizes      from the OCI layouts: compressed = the layer blobs as pushed,
              uncompressed = the layers' tar streams (as `podman images` shows)
3. starts     per image: podman load; a model volume filled from the model
              image (its layer is the cache layout); a loopback redis-server;
              one warm-up start (the service verifies the files once and writes
              its bytecode cache into the volume), then N timed starts from
              `podman run` to a 200 from /readyz (median, range), the two
              images taking turns so that a busy machine weighs on both alike
4. memory     the service's resident memory (VmRSS of the container's PID 1)
              once ready, and again after it ingested one document of 32
              chunks (one batch through the model)
5. embedding  measure_embedder.py inside each running container, the images
              taking turns for R rounds: throughput on batches of 32 texts of
              ~128 tokens, single-query latency (p50, p90); the best round of
              each image counts (the least disturbed by other processes)
6. variant    both images again without their bytecode cache in the volume
              (PYTHONDONTWRITEBYTECODE=1, as base): every start compiles the
              service's and the libraries' Python again; start only

It needs podman (root, runc), redis-server and about 2 GB free; it removes its
containers and scratch directory, and leaves both images loaded.
"""

# This tool runs podman and redis-server, found on PATH, with arguments it makes itself.
# ruff: noqa: S607

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
MEASURE_SCRIPT = Path(__file__).resolve().parent / "measure_embedder.py"
MB = 1e6


@dataclass(frozen=True)
class Subject:
    """One image under test and the model image that fills its volume."""

    name: str
    model_image: str

    @property
    def layout(self) -> Path:
        """The image's OCI layout in bazel-bin."""
        return REPO / "bazel-bin" / "images" / self.name


SUBJECTS = (Subject("ml", "minilm_image"), Subject("ml_onnx", "minilm_onnx_image"))
NO_BYTECODE_CACHE = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": ""}
# 32 paragraphs of about 700 characters: 32 chunks (of at most 800), embedded in one batch.
_PARAGRAPH = " ".join(["the river flows past the old mill and the town"] * 15)
DOCUMENT = "\n\n".join(f"Paragraph {n}: {_PARAGRAPH}" for n in range(32))


@dataclass
class Figures:
    """What was measured for one image."""

    compressed: float = 0.0
    uncompressed: float = 0.0
    warmup_start: float = 0.0
    starts: list[float] = field(default_factory=list)
    uncached_starts: list[float] = field(default_factory=list)
    rss: float = 0.0
    rss_in_use: float = 0.0
    embeds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def embed(self) -> dict[str, Any]:
        """The best of the rounds, figure by figure: most texts/s, shortest latencies and load."""
        best = dict(self.embeds[0])
        best["texts_per_second"] = max(e["texts_per_second"] for e in self.embeds)
        for key in ("query_p50_ms", "query_p90_ms", "load_seconds"):
            best[key] = min(e[key] for e in self.embeds)
        return best


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command: Sequence[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """Runs `command`; its output in the error if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return result


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manifest(layout: Path) -> dict[str, Any]:
    """The image manifest of an OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    data: dict[str, Any] = json.loads(blob(layout, index["manifests"][0]["digest"]).read_text())
    return data


def blob(layout: Path, digest: str) -> Path:
    """A blob of an OCI layout by digest."""
    return layout / "blobs" / "sha256" / digest.removeprefix("sha256:")


def sizes(layout: Path) -> tuple[float, float]:
    """(compressed, uncompressed) bytes of the image's layers."""
    compressed = uncompressed = 0
    for layer in manifest(layout)["layers"]:
        compressed += layer["size"]
        with gzip.open(blob(layout, layer["digest"])) as stream:
            while chunk := stream.read(1 << 20):
                uncompressed += len(chunk)
    return compressed, uncompressed


def fill_volume(model_layout: Path, volume: Path) -> None:
    """Puts the model image's /models into `volume`, owners and modes as in the image."""
    for layer in manifest(model_layout)["layers"]:
        with gzip.open(blob(model_layout, layer["digest"])) as raw, tarfile.open(fileobj=raw) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("models/")]
            for member in members:
                member.name = member.name.removeprefix("models/")
            tar.extractall(volume, members=[m for m in members if m.name])  # noqa: S202 - our own model image
    os.chown(volume, 65532, 65532)


@contextmanager
def redis_server() -> Iterator[int]:
    """A throwaway redis-server on loopback; yields its port."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def ready_status(port: int) -> int | None:
    """The HTTP status of /readyz, None if nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def start(image_id: str, container: str, volume: Path, redis_port: int, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from `podman run` to a 200 from /readyz, and the service's port; the container keeps running."""
    subprocess.run(["podman", "rm", "-f", container], capture_output=True, check=False)
    port = free_port()
    settings = {"PORT": str(port), "DOCINTEL_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", **env}
    command = ["podman", "run", "-d", "--name", container, "--network", "host", "-v", f"{volume}:/models"]
    command += [arg for key, value in settings.items() for arg in ("-e", f"{key}={value}")]
    started = time.monotonic()
    run([*command, image_id])
    while ready_status(port) != 200:
        if time.monotonic() - started > 300:
            logs = subprocess.run(["podman", "logs", container], capture_output=True, text=True, check=False)
            raise SystemExit(f"{container} never became ready:\n{(logs.stdout + logs.stderr)[-2000:]}")
        time.sleep(0.05)
    return time.monotonic() - started, port


def ingest(port: int) -> None:
    """POSTs DOCUMENT (32 chunks) to the service."""
    body = json.dumps({"id": "bench", "title": "bench", "text": DOCUMENT}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/documents", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - a loopback http URL
        chunks = json.load(response).get("chunks")
    if chunks != 32:
        raise SystemExit(f"the bench document became {chunks} chunks, not 32: adjust DOCUMENT")


def resident_bytes(container: str) -> float:
    """VmRSS of the container's PID 1 (the service), read from the host."""
    pid = run(["podman", "inspect", "--format", "{{.State.Pid}}", container]).stdout.strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024
    raise SystemExit(f"no VmRSS for {container} (pid {pid})")


def measure_embedder(container: str, batches: int, queries: int) -> dict[str, Any]:
    """measure_embedder.py's figures, run in the container with the image's python3.11."""
    command = ["podman", "exec", "-i", container, "/usr/bin/python3.11", "-", str(batches), str(queries)]
    with MEASURE_SCRIPT.open() as script:
        output = run(command, stdin=script).stdout
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return figures


@dataclass
class Container:
    """One image's container on its model volume, restarted for every start."""

    subject: Subject
    image_id: str
    volume: Path
    name: str
    redis_port: int
    figures: Figures
    port: int = 0

    def start(self, env: dict[str, str]) -> float:
        """Seconds from `podman run` to a 200 from /readyz (the container keeps running)."""
        seconds, self.port = start(self.image_id, self.name, self.volume, self.redis_port, env)
        return seconds


def prepare(subject: Subject, args: argparse.Namespace, scratch: Path, redis_port: int) -> Container:
    """Sizes, the image loaded into podman, and its model volume."""
    figures = Figures()
    figures.compressed, figures.uncompressed = sizes(subject.layout)
    say(f"{subject.name}: {figures.compressed / MB:.1f} MB compressed, {figures.uncompressed / MB:.1f} MB uncompressed")
    tarball = REPO / "bazel-bin" / "images" / f"{subject.name}_load" / "tarball.tar"
    run(["podman", "load", "-q", "-i", str(tarball)])
    volume = scratch / f"{subject.name}-models"
    volume.mkdir()
    fill_volume(REPO / "bazel-bin" / "models" / subject.model_image, volume)
    image_id = manifest(subject.layout)["config"]["digest"].removeprefix("sha256:")
    name = f"{args.name_prefix}-{subject.name}-{os.getpid()}"
    return Container(subject, image_id, volume, name, redis_port, figures)


def bench(containers: list[Container], args: argparse.Namespace) -> None:
    """Every figure of every image, the images taking turns at each step."""
    for container in containers:
        container.figures.warmup_start = container.start({})
    for _ in range(args.starts):
        for container in containers:
            container.figures.starts.append(container.start({}))
    for container in containers:
        container.figures.rss = resident_bytes(container.name)
        say(f"{container.subject.name}: starts {container.figures.starts}, RSS {container.figures.rss / MB:.1f} MB")
    for _ in range(args.rounds):
        for container in containers:
            container.figures.embeds.append(measure_embedder(container.name, args.batches, args.queries))
            say(f"{container.subject.name}: {container.figures.embeds[-1]}")
    for container in containers:
        ingest(container.port)
        container.figures.rss_in_use = resident_bytes(container.name)
    for _ in range(args.starts):
        for container in containers:
            container.figures.uncached_starts.append(container.start(NO_BYTECODE_CACHE))
    for container in containers:
        say(f"{container.subject.name}: starts without bytecode cache {container.figures.uncached_starts}")


def median_range(values: list[float]) -> str:
    """`median (min-max) s`."""
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def table(ml: Figures, onnx: Figures) -> str:
    """The side-by-side table with issue 13's targets for ml_onnx."""

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "-"

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    median = statistics.median
    rows = [
        ("image size, uncompressed", f"{ml.uncompressed / MB:.1f} MB", f"{onnx.uncompressed / MB:.1f} MB",
         ratio(ml.uncompressed, onnx.uncompressed), "<= 200 MB", verdict(onnx.uncompressed <= 200 * MB)),
        ("image size, compressed", f"{ml.compressed / MB:.1f} MB", f"{onnx.compressed / MB:.1f} MB",
         ratio(ml.compressed, onnx.compressed), "<= 60 MB", verdict(onnx.compressed <= 60 * MB)),
        ("podman run -> /readyz 200, model in the volume (median of starts)", median_range(ml.starts),
         median_range(onnx.starts), ratio(median(ml.starts), median(onnx.starts)), "<= 1.5 s",
         verdict(median(onnx.starts) <= 1.5)),
        ("  the same without a bytecode cache (compiled at every start)", median_range(ml.uncached_starts),
         median_range(onnx.uncached_starts), "", "", ""),
        ("  first start on a freshly filled volume", f"{ml.warmup_start:.2f} s", f"{onnx.warmup_start:.2f} s",
         "", "", ""),
        ("throughput, batches of 32 texts of ~128 tokens", f"{ml.embed['texts_per_second']:.1f} texts/s",
         f"{onnx.embed['texts_per_second']:.1f} texts/s",
         ratio(onnx.embed["texts_per_second"], ml.embed["texts_per_second"]), ">= 1.5x ml",
         verdict(onnx.embed["texts_per_second"] >= 1.5 * ml.embed["texts_per_second"])),
        ("single-query embed latency p50 (p90)", f"{ml.embed['query_p50_ms']:.1f} ms ({ml.embed['query_p90_ms']:.1f})",
         f"{onnx.embed['query_p50_ms']:.1f} ms ({onnx.embed['query_p90_ms']:.1f})",
         ratio(ml.embed["query_p50_ms"], onnx.embed["query_p50_ms"]), "<= ml",
         verdict(onnx.embed["query_p50_ms"] <= ml.embed["query_p50_ms"])),
        ("service resident memory once ready (VmRSS)", f"{ml.rss / MB:.1f} MB", f"{onnx.rss / MB:.1f} MB",
         ratio(ml.rss, onnx.rss), "<= 1/3 of ml", verdict(onnx.rss <= ml.rss / 3)),
        ("  the same after ingesting 32 chunks", f"{ml.rss_in_use / MB:.1f} MB", f"{onnx.rss_in_use / MB:.1f} MB",
         ratio(ml.rss_in_use, onnx.rss_in_use), "", ""),
        ("model load in a fresh process (first embed)", f"{ml.embed['load_seconds']:.2f} s",
         f"{onnx.embed['load_seconds']:.2f} s", ratio(ml.embed["load_seconds"], onnx.embed["load_seconds"]), "", ""),
    ]  # fmt: skip
    header = ("", "ml", "ml_onnx", "ml / ml_onnx", "target (ml_onnx)", "")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in (header, *rows)
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    tokens = f"{ml.embed['tokens_per_text']:.0f} tokens per text on average, {ml.embed['texts']} texts per image"
    return "\n".join([*lines, "", tokens, f"ml: {ml.embed['ready']}; ml_onnx: {onnx.embed['ready']}"])


def main(argv: Sequence[str] | None = None) -> int:
    """Build, measure, print the table; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="timed starts per image (default 3; the median counts)")
    parser.add_argument("--batches", type=int, default=8, help="batches of 32 texts for the throughput (default 8)")
    parser.add_argument("--queries", type=int, default=50, help="single queries for the latency (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="embedding rounds per image (default 3; the best counts)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--name-prefix", default="docintel-embedders", help="prefix of the containers' names")
    args = parser.parse_args(argv)
    missing = [tool for tool in ("podman", "redis-server") if shutil.which(tool) is None]
    if missing:
        parser.error(f"{', '.join(missing)} not found: install them (apt-get install podman redis-server)")
    targets = [f"//images:{s.name}_load" for s in SUBJECTS] + [f"//images:{s.name}" for s in SUBJECTS]
    targets += [f"//models:{s.model_image}" for s in SUBJECTS]
    say(f"building {' '.join(targets)} ...")
    run([str(REPO / "tools" / "bazel"), "build", "--output_groups=+tarball", *targets], cwd=REPO)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="embedders-bench-") as scratch, redis_server() as redis_port:
        containers = [prepare(subject, args, Path(scratch), redis_port) for subject in SUBJECTS]
        try:
            bench(containers, args)
        finally:
            for container in containers:
                subprocess.run(["podman", "rm", "-f", container.name], capture_output=True, check=False)
    ml, onnx = (container.figures for container in containers)
    print(table(ml, onnx))
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        figures = {"ml": ml.__dict__, "ml_onnx": onnx.__dict__, "load_average": load}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
