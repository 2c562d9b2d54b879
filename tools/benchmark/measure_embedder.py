"""Measures the image's own embedder inside its container; prints one JSON object.

    podman exec -i CONTAINER /usr/bin/python3.11 - TEXTS QUERIES [BATCH ...] < measure_embedder.py

Runs in the image (no shell there: python3.11 reads this file from stdin) with
the image's environment, so DOCINTEL_EMBEDDER picks the embedder (`local`:
torch, `onnx`: ONNX Runtime) and DOCINTEL_MODEL_DIR
the model volume. No Redis: the embedding cache is off, every text is
embedded. Figures:

- load: the first call, model files verified and loaded;
- throughput: TEXTS distinct texts of about 128 tokens embedded in batches of
  each BATCH texts in turn (a number, or `service`: the service's own batch
  size, DOCINTEL_EMBEDDING_BATCH_SIZE or the embedder's default; that alone
  when no BATCH is given), each after one warm-up batch (no cache: its texts
  are embedded again): texts per second;
- latency: QUERIES distinct one-line queries embedded one at a time: p50, p90;
- peak memory: the process's VmHWM at the end (the model loaded, the largest
  batch run).

`throughput` lists each BATCH's figure; `batch_size` and `texts_per_second`
are the first BATCH's.

The texts come from a seeded generator, the same in every image. From the
host, :func:`run` starts it in a container and returns its figures
(tools/bench's embedders step, batch_sweep.py).
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PYTHON = "/usr/bin/python3.11"
"""The images' interpreter; it reads this file from its standard input."""
SERVICE = "service"
"""A BATCH that stands for the service's own batch size."""

WORDS_PER_TEXT = 124  # about 128 tokens with this vocabulary (the output says how many exactly)
_WORDS = (
    "the a of and to in is was for on with as by at from that this it be are were which have has had not but "
    "or an all new more one two first time year people city state water system program market report study "
    "house school music river model energy health policy science history company service student family "
    "research country game light power road language network garden doctor teacher bridge "
    "winter summer forest ocean mountain village station library museum kitchen window camera engine budget "
    "quickly slowly carefully often never always sometimes together without between during after before"
)
VOCABULARY = _WORDS.split()


def run(
    podman: Sequence[str], count: int, queries: int, failure: type[Exception], *, batches: Sequence[int | str] = ()
) -> dict[str, Any]:
    """From the host: the figures of this file run by `podman *podman` (arguments that start PYTHON in a container).

    `count` texts, `queries` queries, throughput in each of `batches` (numbers
    or SERVICE; none: the service's own). A failed run raises `failure` with
    the end of its output.
    """
    argv = ["podman", *podman, "-", str(count), str(queries), *map(str, batches)]
    with Path(__file__).open() as script:
        done = subprocess.run(argv, stdin=script, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise failure(
            f"measure_embedder.py failed in podman {' '.join(podman)}:\n{(done.stdout + done.stderr)[-2000:]}"
        )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def texts(count: int, rng: random.Random, words: int) -> list[str]:
    """``count`` distinct texts of ``words`` words."""
    return [f"{index}: " + " ".join(rng.choice(VOCABULARY) for _ in range(words)) for index in range(count)]


def make_embedder(batches: Sequence[str]) -> tuple[Any, str, list[int]]:
    """The embedder the image's environment selects, without a cache; the model's directory; the batch sizes.

    The sizes are `batches` with SERVICE as the service's own batch size (that
    alone when `batches` is empty); the embedder takes batches of the largest.
    """
    from docintel.core.config import Settings

    settings = Settings()
    sizes = [settings.batch_size if batch == SERVICE else int(batch) for batch in batches or [SERVICE]]
    batch_size = max(sizes)
    if settings.embedder == "onnx":
        from docintel.embeddings.onnx_backend import OnnxEmbedder

        model = settings.onnx_model
        embedder: Any = OnnxEmbedder(model_name=model, model_dir=settings.model_dir, batch_size=batch_size)
    elif settings.embedder == "local":
        from docintel.embeddings.local_backend import LocalEmbedder

        model = settings.local_model
        embedder = LocalEmbedder(model_name=model, model_dir=settings.model_dir, batch_size=batch_size)
    else:
        raise SystemExit(f"DOCINTEL_EMBEDDER={settings.embedder}: not a local embedder")
    return embedder, str(settings.model_dir / model / "main"), sizes


def texts_per_second(embedder: Any, items: Sequence[str], batch_size: int) -> float:
    """Texts per second embedding `items` in batches of `batch_size`, after one warm-up batch."""
    embedder.embed(items[:batch_size])
    started = time.perf_counter()
    for first in range(0, len(items), batch_size):
        embedder.embed(items[first : first + batch_size])
    return len(items) / (time.perf_counter() - started)


def token_counts(model_dir: str, items: Sequence[str]) -> list[int]:
    """Tokens per text, [CLS] and [SEP] included, untruncated (tokenizers is in both images)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return [len(encoding.ids) for encoding in tokenizer.encode_batch(list(items))]


def peak_resident_bytes() -> int:
    """The peak resident memory of this process so far (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: Sequence[str]) -> None:
    """Measure and print the JSON figures."""
    count, queries = int(argv[0]), int(argv[1])
    rng = random.Random(2026)
    measured = texts(count, rng, WORDS_PER_TEXT)
    questions = [f"question {index}: " + " ".join(rng.choice(VOCABULARY) for _ in range(8)) for index in range(queries)]
    embedder, model_dir, sizes = make_embedder(argv[2:])
    started = time.perf_counter()
    embedder.embed(["warm up"])
    load = time.perf_counter() - started
    throughput = [
        {"batch_size": size, "texts_per_second": texts_per_second(embedder, measured, size)} for size in sizes
    ]
    latencies = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed([question])
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    peak = peak_resident_bytes()
    tokens = token_counts(model_dir, measured)
    print(
        json.dumps(
            {
                "backend": embedder.backend,
                "ready": embedder.check_ready(timeout=60.0),
                "load_seconds": load,
                "batch_size": sizes[0],
                "peak_rss_bytes": peak,
                "texts": len(measured),
                "tokens_per_text": statistics.mean(tokens),
                "texts_per_second": throughput[0]["texts_per_second"],
                "throughput": throughput,
                "query_p50_ms": 1000 * statistics.median(latencies),
                "query_p90_ms": 1000 * latencies[int(0.9 * (len(latencies) - 1))],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
