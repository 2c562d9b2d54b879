#!/usr/bin/env python3
r"""Ingest/search benchmark of docintel on Redis 7 (exact search) and Redis 8 (vector sets).

For each Redis version it starts a real redis-server (or uses ``--redisN-url``),
starts the OpenAI-compatible embeddings stub over real loopback HTTP (or uses
``--embeddings-url``), and drives the real FastAPI app **in-process through
ASGI** (Starlette's TestClient; no uvicorn socket in between):

1. ingest documents through ``POST /v1/documents`` until ``--chunks`` chunks
   are stored (documents of ~20 paragraphs, one chunk each);
2. run ``--queries`` searches through ``POST /v1/search`` (k=10).

It prints ingest throughput (chunks/s) and search latency p50/p99 per version.

    tools/bazel run //tools/benchmark/search:ingest_search_bench -- --chunks 10000 --queries 500

or, outside Bazel (with the service's dependencies installed):

    PYTHONPATH=service python tools/benchmark/search/ingest_search_bench.py \
        --redis7 /usr/bin/redis-server --redis8 /usr/local/bin/redis8-server --chunks 10000 --queries 500
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from docintel.api.context import AppContext
from docintel.core.config import Settings
from docintel.main import create_app
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer

TOPICS = {
    "geology": "volcano magma lava eruption crust basalt tectonic plate fault earthquake mineral granite",
    "ocean": "ocean coral reef current tide salinity plankton whale kelp trench wave",
    "space": "rocket orbit satellite astronaut galaxy nebula telescope comet asteroid planet",
    "forest": "forest tree canopy fungus moss fern oak pine understory lichen soil",
    "desert": "desert dune sand cactus oasis drought mirage scorpion camel heat",
    "finance": "bond equity dividend ledger audit invoice revenue margin liquidity credit",
    "medicine": "patient diagnosis therapy vaccine antibody clinic dosage symptom surgery immune",
    "computing": "compiler kernel cache thread socket database index query latency memory",
}
FILLER = ["the", "of", "and", "with", "across", "during", "under", "between", "about", "into", "over", "after"]
PARAGRAPHS_PER_DOC = 20


@dataclass(frozen=True)
class Result:
    """The figures of one Redis version."""

    version: str
    path: str
    chunks: int
    documents: int
    ingest_seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    first_ms: float

    @property
    def chunks_per_second(self) -> float:
        """Ingest throughput."""
        return self.chunks / self.ingest_seconds


def paragraph(rng: random.Random, topic: str, target_chars: int = 650) -> str:
    """About ``target_chars`` of sentences mixing ``topic``'s words with filler."""
    words = TOPICS[topic].split()
    out: list[str] = []
    length = 0
    while length < target_chars:
        sentence = " ".join(rng.choice(words) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(12))
        sentence = sentence.capitalize() + "."
        out.append(sentence)
        length += len(sentence) + 1
    return " ".join(out)


def document(rng: random.Random, number: int) -> dict[str, object]:
    """A document body for ``POST /v1/documents``: one topic, ``PARAGRAPHS_PER_DOC`` paragraphs."""
    topic = rng.choice(list(TOPICS))
    text = "\n\n".join(paragraph(rng, topic) for _ in range(PARAGRAPHS_PER_DOC))
    return {"id": f"bench-{number:05d}", "title": f"{topic} #{number}", "text": text, "metadata": {"topic": topic}}


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def positive_ints(text: str) -> list[int]:
    """An argparse type: comma-separated whole numbers of at least 1, e.g. ``200,800``."""
    return [positive_int(item) for item in text.split(",")]


def progress(message: str) -> None:
    """Report progress on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def run_one(*, version: str, redis_url: str, embeddings_url: str, chunk_target: int, queries: int, seed: int) -> Result:
    """Ingest ``chunk_target`` chunks into an empty prefix, then time ``queries`` searches."""
    settings = Settings(
        redis_url=redis_url,
        openai_base_url=embeddings_url,
        embedding_model="bench-stub",
        embedding_batch_size=64,
        key_prefix="docintel-bench",
    )
    rng = random.Random(seed)
    app = create_app(settings)
    context: AppContext = app.state.context
    with TestClient(app) as client:
        with context.redis.pipeline() as pipe:
            for key in context.redis.scan_iter(match="docintel-bench:*"):
                pipe.delete(key)
            pipe.execute()
        path = context.store.index_name()
        progress(f"[redis {version}] index path: {path}; ingesting {chunk_target} chunks ...")
        stored = documents = 0
        next_report, ingest_seconds = chunk_target / 10, 0.0
        while stored < chunk_target:
            body = document(rng, documents)  # made before the clock starts: only the ingest is timed
            began = time.perf_counter()
            response = client.post("/v1/documents", json=body)
            ingest_seconds += time.perf_counter() - began
            if response.status_code != 201:
                raise SystemExit(f"ingest failed: {response.status_code} {response.text}")
            stored += response.json()["chunks"]
            documents += 1
            if stored >= next_report:
                progress(
                    f"[redis {version}]   {stored:>6} chunks in {documents} docs, {ingest_seconds:6.1f}s "
                    f"({stored / ingest_seconds:,.0f} chunks/s)"
                )
                next_report += chunk_target / 10

        begin = time.perf_counter()
        warmup = client.post("/v1/search", json={"query": "warm up the index", "k": 10})
        first_ms = (time.perf_counter() - begin) * 1000
        if warmup.status_code != 200:
            raise SystemExit(f"search failed: {warmup.status_code} {warmup.text}")
        progress(f"[redis {version}] running {queries} searches ...")
        latencies: list[float] = []
        topics = list(TOPICS)
        for number in range(queries):
            topic = rng.choice(topics)
            query = " ".join(rng.sample(TOPICS[topic].split(), 4)) + f" q{number}"
            begin = time.perf_counter()
            response = client.post("/v1/search", json={"query": query, "k": 10})
            latencies.append((time.perf_counter() - begin) * 1000)
            if response.status_code != 200 or not response.json()["hits"]:
                raise SystemExit(f"search failed: {response.status_code} {response.text[:200]}")
            if (number + 1) % max(1, queries // 5) == 0:
                progress(f"[redis {version}]   {number + 1} searches, p50 so far {statistics.median(latencies):.2f} ms")
    return Result(
        version=version,
        path=path,
        chunks=stored,
        documents=documents,
        ingest_seconds=ingest_seconds,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        mean_ms=statistics.fmean(latencies),
        first_ms=first_ms,
    )


def main() -> None:
    """Run the benchmark on both Redis versions and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--redis7",
        default=os.environ.get("DOCINTEL_TEST_REDIS_7"),
        help="redis-server 7.x binary (default: $DOCINTEL_TEST_REDIS_7)",
    )
    parser.add_argument(
        "--redis8",
        default=os.environ.get("DOCINTEL_TEST_REDIS_8"),
        help="redis-server 8.x binary (default: $DOCINTEL_TEST_REDIS_8)",
    )
    parser.add_argument("--redis7-url", help="use this running Redis 7 instead of starting one")
    parser.add_argument("--redis8-url", help="use this running Redis 8 instead of starting one")
    parser.add_argument("--embeddings-url", help="OpenAI-compatible base URL instead of the built-in stub")
    parser.add_argument("--dimension", type=int, default=384, help="stub embedding dimension (default 384)")
    parser.add_argument("--chunks", type=positive_int, default=10_000)
    parser.add_argument("--queries", type=positive_int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    stub = None
    embeddings_url = args.embeddings_url
    if embeddings_url is None:
        stub = EmbeddingStub(dimension=args.dimension).start()
        embeddings_url = stub.url
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="docintel-bench-") as workdir:
            for version, binary, given_url in (
                ("7", args.redis7, args.redis7_url),
                ("8", args.redis8, args.redis8_url),
            ):
                server = None
                url = given_url
                if url is None:
                    if not binary:
                        raise SystemExit(f"give --redis{version} PATH (or set DOCINTEL_TEST_REDIS_{version})")
                    server = RedisServer(binary, Path(workdir) / f"redis{version}").start()
                    url = server.url
                    progress(f"[redis {version}] started {binary} ({server.version()}) at {url}")
                try:
                    results.append(
                        run_one(
                            version=version,
                            redis_url=url,
                            embeddings_url=embeddings_url,
                            chunk_target=args.chunks,
                            queries=args.queries,
                            seed=args.seed,
                        )
                    )
                finally:
                    if server is not None:
                        server.stop()
    finally:
        if stub is not None:
            stub.stop()

    print()
    print(
        f"docintel ingest/search benchmark: in-process ASGI app, embeddings stub over loopback HTTP "
        f"(dim {args.dimension}), {args.queries} searches k=10, {os.cpu_count()} CPUs"
    )
    header = (
        f"| {'redis':<5} | {'search path':<11} | {'docs':>5} | {'chunks':>6} | {'ingest s':>8} | "
        f"{'chunks/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'mean ms':>7} | {'1st ms':>7} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for r in results:
        print(
            f"| {r.version:<5} | {r.path:<11} | {r.documents:>5} | {r.chunks:>6} | {r.ingest_seconds:>8.1f} | "
            f"{r.chunks_per_second:>8.0f} | {r.p50_ms:>7.2f} | {r.p99_ms:>7.2f} | {r.mean_ms:>7.2f} | "
            f"{r.first_ms:>7.1f} |"
        )
    print("1st ms = the first search after ingest (not in p50/p99): the exact path loads all vectors then.")


if __name__ == "__main__":
    main()
