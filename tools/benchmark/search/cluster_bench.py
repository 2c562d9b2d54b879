#!/usr/bin/env python3
r"""One Redis 8 against a 3-primary, 3-replica Redis Cluster on loopback: ingest, WAIT's cost, search throughput.

It starts both for real (:mod:`tests.support.redis_cluster`), loads the same
deterministic vectors (:mod:`scaling_corpus`) through the store's write path
(the cluster store as the service builds it: ``DOCINTEL_REDIS_CLUSTER``, 3
shards), and prints per setup: ingest chunks/s and put latency p50/p99 of
the first half (4 writers); on the cluster, the second half's documents go
alternately through a store with ``DOCINTEL_REDIS_WAIT_REPLICAS=1`` and one
without (WAIT's cost); then search throughput with ``--threads`` concurrent
clients and latency p50/p99.

    tools/bazel run //tools/benchmark/search:cluster_bench -- [--chunks 20000] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from docintel.core.config import Settings
from docintel.store import DocumentStore
from docintel.store.connect import connect_redis
from ingest_search_bench import percentile, positive_int, progress
from scaling_corpus import Corpus, Matrix
from tests.support.redis_cluster import RedisCluster
from tests.support.redis_server import RedisServer

PER_DOCUMENT = 50


def store_for(url: str, *, cluster: bool, wait: int, prefix: str) -> DocumentStore:
    """The store the service would build for these settings."""
    settings = Settings(redis_url=url, redis_cluster=cluster, redis_wait_replicas=wait, key_prefix=prefix)
    return connect_redis(settings).store(settings, forget_texts=None)


def put_document(store: DocumentStore, rows: Matrix, first: int, number: int) -> float:
    """Put document ``number`` of ``rows`` (PER_DOCUMENT chunks) as ``d{first + number}``; its latency (ms)."""
    began = time.perf_counter()
    store.put_document(
        document_id=f"d{first + number}",
        title="t",
        text="",
        metadata={"topic": number % 8},
        chunks=[f"c{number}-{i}" for i in range(PER_DOCUMENT)],
        vectors=rows[number * PER_DOCUMENT : (number + 1) * PER_DOCUMENT],
    )
    return (time.perf_counter() - began) * 1000


def ingest(store: DocumentStore, rows: Matrix, first: int, label: str) -> tuple[float, list[float]]:
    """Put ``rows`` as documents of PER_DOCUMENT chunks (4 writers); chunks/s and put latencies (ms)."""
    latencies: list[float] = []

    def put(number: int) -> None:
        latencies.append(put_document(store, rows, first, number))

    progress(f"[{label}] ingesting {len(rows):,} chunks ...")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(put, range(len(rows) // PER_DOCUMENT)))
    return len(rows) / (time.perf_counter() - started), latencies


def paired_puts(stores: tuple[DocumentStore, DocumentStore], rows: Matrix, first: int) -> list[list[float]]:
    """Documents put alternately through two stores from one thread; each one's put latencies (ms).

    Alternating cancels the drift of a growing index and of the machine's load between the two.
    """
    latencies: list[list[float]] = [[], []]
    for number in range(len(rows) // PER_DOCUMENT):
        latencies[number % 2].append(put_document(stores[number % 2], rows, first, number))
    return latencies


def search_load(store: DocumentStore, queries: Matrix, threads: int) -> tuple[float, list[float]]:
    """Every query from ``threads`` clients at once; queries/s and latencies (ms)."""
    latencies: list[float] = []

    def ask(query: Matrix) -> None:
        began = time.perf_counter()
        store.search(vector=query, k=10, metadata_filter={})
        latencies.append((time.perf_counter() - began) * 1000)

    store.search(vector=queries[0], k=10, metadata_filter={})
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(ask, queries))
    return len(queries) / (time.perf_counter() - started), latencies


def main() -> None:
    """Run both setups and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis8", default=os.environ.get("DOCINTEL_TEST_REDIS_8"), help="Redis 8 redis-server")
    parser.add_argument("--chunks", type=positive_int, default=20_000)
    parser.add_argument("--queries", type=positive_int, default=1000)
    parser.add_argument("--threads", type=positive_int, default=4)
    args = parser.parse_args()
    if args.chunks < 2 * PER_DOCUMENT:
        parser.error(f"--chunks must be at least {2 * PER_DOCUMENT}: two halves of documents of {PER_DOCUMENT} chunks")
    if not args.redis8:
        raise SystemExit("give --redis8 PATH (or set DOCINTEL_TEST_REDIS_8)")
    corpus = Corpus(dimension=384, seed=17)
    rows, queries = corpus.rows(0, args.chunks), corpus.queries(args.queries)
    half = args.chunks // 2 // PER_DOCUMENT * PER_DOCUMENT
    lines = []
    with tempfile.TemporaryDirectory(prefix="docintel-cluster-bench-") as workdir, ExitStack() as stack:
        # Each stop is registered before its start: a failed start stops what already runs.
        single = RedisServer(args.redis8, Path(workdir) / "single")
        stack.callback(single.stop)
        single.start()
        cluster = RedisCluster(args.redis8, Path(workdir) / "cluster")
        stack.callback(cluster.stop)
        cluster.start()
        for label, url, is_cluster in (("one node", single.url, False), ("cluster 3+3", cluster.url, True)):
            plain = store_for(url, cluster=is_cluster, wait=0, prefix="bench")
            rate, put_ms = ingest(plain, rows[:half], 0, label)
            lines.append(f"| {label} | ingest, no WAIT | {rate:,.0f} chunks/s | {_p(put_ms)} |")
            if is_cluster:
                progress(f"[{label}] {len(rows) - half:,} chunks, documents alternately with and without WAIT ...")
                waiting = store_for(url, cluster=True, wait=1, prefix="bench")
                without, with_wait = paired_puts((plain, waiting), rows[half:], half // PER_DOCUMENT)
                what = f"put of {PER_DOCUMENT} chunks, 1 writer, alternating"
                lines.append(f"| {label} | {what}: no WAIT | | {_p(without)} |")
                lines.append(f"| {label} | {what}: WAIT 1 replica | | {_p(with_wait)} |")
            else:
                rate, put_ms = ingest(plain, rows[half:], half // PER_DOCUMENT, label)
                lines.append(f"| {label} | ingest, no WAIT (second half) | {rate:,.0f} chunks/s | {_p(put_ms)} |")
            progress(f"[{label}] {args.queries} searches from {args.threads} threads ...")
            qps, search_ms = search_load(plain, queries, args.threads)
            lines.append(f"| {label} | search k=10, {args.threads} threads | {qps:,.0f} queries/s | {_p(search_ms)} |")
    print(
        f"cluster benchmark: {args.chunks:,} chunks of dimension 384, {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    print("| setup | what | rate | p50 / p99 ms |")
    print("|---|---|---|---|")
    print("\n".join(lines))


def _p(latencies: list[float]) -> str:
    """``p50 / p99`` of ``latencies``."""
    return f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.99):.1f}"


if __name__ == "__main__":
    main()
