#!/usr/bin/env python3
r"""A filter that few chunks match, on Redis 8 vector sets: the service's search against the walk it replaced.

A filtered search that finds fewer than k matches within its first bound
(``FILTER-EF`` 2,000) searches again.  Until 2026-11-30 that second search
walked the HNSW graph with ``FILTER-EF`` set to the set's size; now it is an
exact scan with the same filter (``VSIM ... TRUTH``).  For each size this
stores one tenant's ``--matches`` chunks among that many other chunks (random
vectors of ``--dimension``, through the store's write path), then times
``--queries`` searches with the rare tenant's filter, k 5.  It prints p50
and p99 latency and how many answers miss a stored match, for each second
search alone (``VSIM`` on the same vector set with the store's EF and
filter) and for the whole search a request runs.

    tools/bazel run //tools/benchmark/search:filter_fallback_bench -- [--sizes 30000,100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from docintel.store import DocumentStore, Keys
from docintel.store.filters import filter_tags
from docintel.store.redis_client import raw_command
from docintel.store.vectorset_index import filter_expression
from docintel.store.vectorset_layout import VectorSetOptions
from ingest_search_bench import percentile, positive_int, positive_ints, progress
from tests.support.redis_server import RedisServer

K = 5
PER_DOCUMENT = 500
KEYS = Keys("bench")
RARE = {"tenant": "rare"}


def fill(store: DocumentStore, rng: np.random.Generator, *, size: int, dimension: int, matches: int) -> None:
    """Store ``size`` common chunks (documents of PER_DOCUMENT) and ``matches`` chunks of the rare tenant."""
    for first in range(0, size, PER_DOCUMENT):
        count = min(PER_DOCUMENT, size - first)
        store.put_document(
            document_id=f"common-{first}",
            title="common",
            text="",
            metadata={"tenant": "common"},
            chunks=[f"c{first + i}" for i in range(count)],
            vectors=rng.standard_normal((count, dimension)).astype(np.float32),
        )
        if first % 10_000 == 0:
            progress(f"[{size:,}] stored {first + count:,} chunks ...")
    store.put_document(
        document_id="rare",
        title="rare",
        text="",
        metadata=RARE,
        chunks=[f"r{i}" for i in range(matches)],
        vectors=rng.standard_normal((matches, dimension)).astype(np.float32),
    )


def measure(search: Callable[[np.ndarray], int], queries: np.ndarray, matches: int) -> tuple[float, float, int]:
    """p50 and p99 (ms) of ``search`` over ``queries``, and how many found fewer than ``matches``."""
    latencies, short = [], 0
    for query in queries:
        began = time.perf_counter()
        found = search(query)
        latencies.append((time.perf_counter() - began) * 1000)
        short += found < matches
    return percentile(latencies, 0.5), percentile(latencies, 0.99), short


def service_search(store: DocumentStore) -> Callable[[np.ndarray], int]:
    """The service's filtered search, as a request runs it; how many hits it finds."""

    def search(query: np.ndarray) -> int:
        return len(store.search(vector=query, k=K, metadata_filter=RARE))

    return search


def second_search(server: RedisServer, *, search_ef: int, last: list[object]) -> Callable[[np.ndarray], int]:
    """The second search alone: ``VSIM`` with the store's EF and the rare tenant's filter, then ``last``."""
    client = server.client()
    condition = filter_expression(filter_tags(RARE))  # the store's own

    def search(query: np.ndarray) -> int:
        reply = raw_command(
            client, "VSIM", KEYS.vset, "FP32", query.tobytes(), "WITHSCORES", "COUNT", K, "EF", search_ef,
            "FILTER", condition, *last,
        )  # fmt: skip
        return len(reply) if isinstance(reply, dict) else len(reply) // 2

    return search


def main() -> None:
    """Fill each size, measure both searches, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis8", default=os.environ.get("DOCINTEL_TEST_REDIS_8"), help="Redis 8 redis-server")
    parser.add_argument("--sizes", type=positive_ints, default=[30_000, 100_000], help="common chunks per run")
    parser.add_argument("--dimension", type=positive_int, default=32)
    parser.add_argument("--matches", type=positive_int, default=2, help="the rare tenant's chunks (fewer than 5)")
    parser.add_argument("--queries", type=positive_int, default=100)
    args = parser.parse_args()
    if not args.redis8:
        raise SystemExit("give --redis8 PATH (or set DOCINTEL_TEST_REDIS_8)")
    if args.matches >= K:
        parser.error(f"--matches must be under {K}: the bound is left only when fewer than k match")
    options = VectorSetOptions()
    lines = []
    with tempfile.TemporaryDirectory(prefix="docintel-filter-bench-") as workdir:
        server = RedisServer(args.redis8, Path(workdir))
        try:
            server.start()
            version = server.version()
            for size in args.sizes:
                server.client().flushall()
                rng = np.random.default_rng(size)
                store = DocumentStore(server.client(), keys=KEYS, vector_options=options)
                fill(store, rng, size=size, dimension=args.dimension, matches=args.matches)
                queries = rng.standard_normal((args.queries, args.dimension)).astype(np.float32)
                progress(f"[{size:,}] {args.queries} searches each way ...")
                walk = ["FILTER-EF", size + PER_DOCUMENT]
                searches = {
                    "second search now: exact scan (TRUTH)": second_search(
                        server, search_ef=options.search_ef, last=["TRUTH"]
                    ),
                    "second search before: walk (FILTER-EF = set size)": second_search(
                        server, search_ef=options.search_ef, last=walk
                    ),
                    "the service's whole search (bounded, exact scan, hits)": service_search(store),
                }
                for label, search in searches.items():
                    p50, p99, short = measure(search, queries, args.matches)
                    lines.append(f"| {size:,} | {label} | {p50:.1f} | {p99:.1f} | {short} of {args.queries} |")
        finally:
            server.stop()
    print(
        f"\nA filter {args.matches} chunks match among many: Redis {version} vector set, "
        f"{args.dimension} dimensions, k {K}, {args.queries} queries\n"
    )
    print("| other chunks | search | p50 ms | p99 ms | answers missing a stored match |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
