#!/usr/bin/env python3
r"""Search at scale: ingest, latency, recall and memory of each index as the corpus grows.

For each index (vector sets with ``Q8``, ``NOQUANT``, ``BIN`` on Redis 8;
``exact`` on Redis 7) it starts a real redis-server of its own, writes
deterministic clustered vectors (:mod:`scaling_corpus`, dimension 384; no
embedder) through the store's own write path (``DocumentStore.put_document``,
documents of ``--chunks-per-document`` chunks, ``--writers`` threads), and at
each size (10k and 100k chunks; 1M with ``--million``) prints:

* ingest chunks/s (the vectors are made before the clock starts), and the
  CPU Redis spent per chunk (what one free core could sustain: 1000 / it);
* search p50/p99 at k=10 through ``DocumentStore.search`` (hits resolved to
  texts), without and with a metadata filter (1 document in 8 matches);
* recall@10 of the same queries against exact brute force (numpy), both ways;
* Redis memory per chunk (``INFO memory`` delta / chunks) and the index's own
  (``MEMORY USAGE`` of the vector set, or of the vectors hash).

With ``--search-efs 200,800`` it measures search at each of those EFs on the
same index (recall against latency, without building it again).  Then it draws
latency and memory against size (``--svg``).

    tools/bazel run //tools/benchmark/search:scaling_bench -- [--million] [--indexes Q8,NOQUANT,BIN,exact] \
        [--search-efs 200,800] [--svg /tmp/scaling.svg]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import redis

from docintel.core.config import Settings
from docintel.store import DocumentStore, Keys, create_redis
from docintel.store.vectorset_layout import VectorSetOptions
from ingest_search_bench import percentile, positive_ints, progress
from scaling_corpus import Corpus, Matrix, exact_top
from scaling_plot import Point, markdown_rows, read_table, render_svg
from tests.support.redis_server import RedisServer

K = 10
TOPICS = 8
INDEXES = ("Q8", "NOQUANT", "BIN", "exact")
KEYS = Keys("docintel-scale")


def document_id(number: int) -> str:
    """Name of document ``number``; its topic is ``number % TOPICS``."""
    return f"d{number:07d}"


class Loader:
    """Grows one store's corpus size by size and measures it there."""

    def __init__(self, *, index: str, client: redis.Redis, corpus: Corpus, args: argparse.Namespace) -> None:
        """Write to ``client`` through a store configured for ``index``."""
        self.index = index
        self.client = client
        self.corpus = corpus
        self.args = args
        self.options = VectorSetOptions(
            quantization=None if index == "exact" else index,  # type: ignore[arg-type]
            m=args.m,
            build_ef=args.build_ef,
            search_ef=args.search_ef,
            threaded_add=args.threaded_add,
        )
        self.store = DocumentStore(client, keys=KEYS, vector_options=self.options)
        # The search EFs to measure (one store each, on the same index); the exact path has none.
        self.search_efs = [args.search_ef] if index == "exact" else args.search_ef_list
        self.per_document = args.chunks_per_document
        self.vectors: list[Matrix] = []
        self.size = 0
        self.baseline = self.used_memory()

    def used_memory(self) -> int:
        """Redis' ``used_memory``."""
        return int(self.client.info("memory")["used_memory"])

    def redis_cpu(self) -> float:
        """CPU seconds Redis used so far (all its threads)."""
        cpu = self.client.info("cpu")
        return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])

    def grow(self, size: int) -> tuple[float, float]:
        """Ingest chunks ``self.size..size``; returns chunks per second and Redis CPU ms per chunk."""
        rows = self.corpus.rows(self.size, size)
        first_document = self.size // self.per_document
        documents = range(first_document, size // self.per_document)
        progress(f"[{self.index}] ingesting {size - self.size:,} chunks ({len(documents):,} documents) ...")

        def put(number: int) -> None:
            offset = number * self.per_document - self.size
            self.store.put_document(
                document_id=document_id(number),
                title=f"document {number}",
                text="",
                metadata={"topic": number % TOPICS},
                chunks=[f"c{number * self.per_document + i}" for i in range(self.per_document)],
                vectors=rows[offset : offset + self.per_document],
            )

        cpu, started = self.redis_cpu(), time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.args.writers) as pool:
            for done, _ in enumerate(pool.map(put, documents), start=1):
                if done % max(1, len(documents) // 10) == 0:
                    elapsed = time.perf_counter() - started
                    chunks = done * self.per_document
                    progress(f"[{self.index}]   {chunks:>9,} chunks, {elapsed:6.1f}s ({chunks / elapsed:,.0f}/s)")
        seconds = time.perf_counter() - started
        added = size - self.size
        cpu_ms = (self.redis_cpu() - cpu) * 1000 / added
        self.vectors.append(rows)
        self.size = size
        return added / seconds, cpu_ms

    def index_bytes(self) -> int:
        """Memory of the index's own key (the vector set, or the exact path's vectors hash)."""
        key = KEYS.vectors if self.index == "exact" else KEYS.vset
        return int(self.client.memory_usage(key, samples=0) or 0)

    def measure(self, queries: Matrix, ingest: tuple[float, float]) -> list[Point]:
        """Search latency and recall over ``queries`` at each search EF, memory per chunk, at the current size."""
        corpus = np.concatenate(self.vectors)
        topic_of_row = (np.arange(self.size) // self.per_document) % TOPICS
        progress(f"[{self.index}] exact top {K} of {len(queries)} queries at {self.size:,} chunks ...")
        truths = {
            filtered: [
                exact_top(corpus, query[None, :], k=K, allowed=topic_of_row == number % TOPICS if filtered else None)[0]
                for number, query in enumerate(queries)
            ]
            for filtered in (False, True)
        }
        # The index is the same for every search EF: its memory is read once.
        memory_per_chunk = (self.used_memory() - self.baseline) / self.size
        index_per_chunk = self.index_bytes() / self.size
        points = []
        for search_ef in self.search_efs:
            label = self.index if len(self.search_efs) == 1 else f"{self.index} EF {search_ef}"
            store = DocumentStore(self.client, keys=KEYS, vector_options=replace(self.options, search_ef=search_ef))
            store.search(vector=queries[0], k=K, metadata_filter={})  # the exact path loads its copy here
            figures: dict[str, Any] = {}
            for filtered in (False, True):
                progress(f"[{label}] {len(queries)} searches at {self.size:,} chunks{' (filtered)' * filtered} ...")
                latencies, recalls = [], []
                for number, query in enumerate(queries):
                    metadata_filter = {"topic": number % TOPICS} if filtered else {}
                    began = time.perf_counter()
                    hits = store.search(vector=query, k=K, metadata_filter=metadata_filter)
                    latencies.append((time.perf_counter() - began) * 1000)
                    found = {int(hit.document_id[1:]) * self.per_document + hit.chunk_index for hit in hits}
                    recalls.append(len(found & truths[filtered][number]) / K)
                name = "filtered" if filtered else "plain"
                figures[f"{name}_p50"] = percentile(latencies, 0.50)
                figures[f"{name}_p99"] = percentile(latencies, 0.99)
                figures[f"{name}_recall"] = float(np.mean(recalls))
            points.append(
                Point(
                    index=label,
                    chunks=self.size,
                    ingest_per_second=ingest[0],
                    redis_cpu_ms_per_chunk=ingest[1],
                    memory_per_chunk=memory_per_chunk,
                    index_per_chunk=index_per_chunk,
                    **figures,
                )
            )
            store.close()
        return points


@contextmanager
def redis_for(index: str, args: argparse.Namespace, workdir: Path) -> Iterator[redis.Redis]:
    """A client of a fresh Redis for ``index`` (7 for exact, else 8), stopped afterwards."""
    binary = args.redis7 if index == "exact" else args.redis8
    if not binary:
        version = "7" if index == "exact" else "8"
        raise SystemExit(f"give --redis{version} PATH (or set DOCINTEL_TEST_REDIS_{version})")
    server = RedisServer(binary, workdir / index).start()
    progress(f"[{index}] started {binary} ({server.version()}) at {server.url}")
    client = create_redis(Settings(redis_url=server.url, redis_socket_timeout=60))
    try:
        yield client
    finally:
        client.close()
        server.stop()


def table(points: list[Point], args: argparse.Namespace) -> str:
    """The Markdown table of all points, under a line saying how they were measured."""
    heading = (
        f"scaling benchmark: dimension {args.dimension}, {args.queries} queries k={K}, documents of "
        f"{args.chunks_per_document} chunks, {args.writers} writers, M {args.m or 16}, EF build {args.build_ef} / "
        f"search {','.join(map(str, args.search_ef_list))}, VADD{' CAS' * args.threaded_add}, {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f} at the end)"
    )
    return "\n".join([heading, "", *markdown_rows(points)])


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis7", default=os.environ.get("DOCINTEL_TEST_REDIS_7"), help="Redis 7 redis-server")
    parser.add_argument("--redis8", default=os.environ.get("DOCINTEL_TEST_REDIS_8"), help="Redis 8 redis-server")
    parser.add_argument("--indexes", default=",".join(INDEXES), help=f"comma-separated, of {', '.join(INDEXES)}")
    parser.add_argument("--sizes", type=positive_ints, default="10000,100000", help="corpus sizes in chunks, ascending")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 chunks (minutes, GBs of memory)")
    parser.add_argument("--queries", type=int, default=500, help="queries per size and filter (>= 200)")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--chunks-per-document", type=int, default=100)
    parser.add_argument("--writers", type=int, default=4, help="threads calling put_document")
    parser.add_argument("--m", type=int, default=None, help="HNSW M (default: Redis' 16)")
    service = VectorSetOptions()  # the service's defaults
    parser.add_argument("--build-ef", type=int, default=service.build_ef, help="VADD EF (the service's default)")
    parser.add_argument("--search-ef", type=int, default=service.search_ef, help="VSIM EF (the service's default)")
    parser.add_argument(
        "--search-efs",
        type=positive_ints,
        help="comma-separated search EFs to measure on the same index (default: --search-ef)",
    )
    parser.add_argument(
        "--threaded-add",
        action=argparse.BooleanOptionalAction,
        default=service.threaded_add,
        help="VADD CAS: neighbours searched in Redis threads (off by default, as in the service)",
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--svg", type=Path, help="write the latency/memory plot here")
    parser.add_argument(
        "--from-table",
        type=Path,
        action="append",
        help="measure nothing: table and plot of the rows of earlier runs' printed tables (repeatable)",
    )
    args = parser.parse_args()
    args.index_list = [name.strip() for name in args.indexes.split(",") if name.strip()]
    args.search_ef_list = args.search_efs or [args.search_ef]
    if unknown := set(args.index_list) - set(INDEXES):
        parser.error(f"unknown --indexes {sorted(unknown)}: choose from {', '.join(INDEXES)}")
    args.size_list = sorted(set(args.sizes) | ({1_000_000} if args.million else set()))
    if any(size % args.chunks_per_document for size in args.size_list):
        parser.error("every size must be a multiple of --chunks-per-document")
    if args.queries < 200:
        parser.error("--queries must be at least 200 (recall is measured on them)")
    return args


def main() -> None:
    """Run every index at every size; print the table, write the plot."""
    args = parse_args()
    points: list[Point] = [point for path in args.from_table or [] for point in read_table(path)]
    corpus = Corpus(dimension=args.dimension, seed=args.seed)
    queries = corpus.queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="docintel-scaling-") as workdir:
        for index in [] if args.from_table else args.index_list:
            with redis_for(index, args, Path(workdir)) as client:
                loader = Loader(index=index, client=client, corpus=corpus, args=args)
                for size in args.size_list:
                    measured = loader.measure(queries, loader.grow(size))
                    points += measured
                    progress("\n".join(markdown_rows(measured)[2:]))
    print(table(points, args))
    if args.svg:
        args.svg.write_text(render_svg(points), encoding="utf-8")
        progress(f"wrote {args.svg}")


if __name__ == "__main__":
    main()
