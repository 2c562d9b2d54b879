#!/usr/bin/env python3
r"""Reliability figures (issue 12), measured on real processes: Redis 7 and 8, an embeddings server, the service.

The service runs as ``python -m docintel`` (uvicorn), the OpenAI-compatible
embeddings stub as a process of its own (384 dimensions), and this script is
the client:

* ``large``: a 10 MB JSON text and a 20 MiB upload on Redis 8, with searches
  running throughout (status, time, chunks, search p50/p99 during the ingest,
  and whether what is stored agrees with the answer);
* ``readiness``: how long ``/readyz`` takes, and what it says, after the
  service starts and after Redis or the embedder stops, hangs or comes back;
* ``mixed``: Redis 7 with 13k vectors under 30 % ingests: searches per second;
* ``secrets``: credentials in every setting, driven through failures; any of
  them in a response, the log or the metrics?

    tools/bazel run //tools/benchmark/search:reliability_bench -- [--only large,readiness,mixed,secrets]

or, outside Bazel: PYTHONPATH=service:tools/benchmark/search python tools/benchmark/search/reliability_bench.py
--redis7 PATH --redis8 PATH.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import httpx

from concurrent_load import Latencies, SearchLoop, rss_mb, timed
from loopback_ports import free_port
from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer

DIMENSION = 384
MEASUREMENTS = ("large", "readiness", "mixed", "secrets")
WORDS = [
    *("volcano", "magma", "ocean", "coral", "rocket", "orbit", "forest", "canopy"),
    *("desert", "dune", "ledger", "audit", "kernel", "cache", "patient", "therapy"),
]


def say(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message, file=sys.stderr, flush=True)


def prose(rng: random.Random, size: int) -> str:
    """About ``size`` characters of paragraphs of random topic words."""
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choice(WORDS) for _ in range(100)) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:size]


@contextmanager
def embeddings_stub(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The embeddings stub as its own process; yields its base URL and the process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.embedding_stub", str(port), str(DIMENSION)],
        stdout=(workdir / "stub.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{url}/embeddings", json={"input": ["x"], "model": "m"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.kill()
        process.wait()


LARGE_ONLY = os.environ.get("DOCINTEL_BENCH_LARGE_ONLY", "")
"""Run only the large body whose name contains this (profiling aid)."""

SERVICE_DIR: Path | None = None
"""Another checkout's ``service/`` folder to measure instead of this one (``--service-dir``)."""


def service(workdir: Path, *, redis: RedisServer, embeddings: str, **env: str) -> LiveServer:
    """``python -m docintel`` on ``redis`` and ``embeddings``."""
    values = {
        "DOCINTEL_REDIS_URL": redis.url,
        "DOCINTEL_OPENAI_BASE_URL": embeddings,
        "DOCINTEL_EMBEDDING_MODEL": "bench",
    }
    if SERVICE_DIR is not None:
        return LiveServer(workdir, {**values, **env}, service_dir=SERVICE_DIR).start()
    return LiveServer(workdir, {**values, **env}).start()


def started_redis(stack: ExitStack, binary: str, workdir: Path, password: str | None = None) -> RedisServer:
    """A redis-server, started, that ``stack`` stops (also if it fails to start, or a later start does)."""
    redis = RedisServer(binary, workdir, password=password)
    stack.callback(redis.stop)
    return redis.start()


def started_service(stack: ExitStack, workdir: Path, *, redis: RedisServer, embeddings: str, **env: str) -> LiveServer:
    """The service (:func:`service`), started, that ``stack`` stops."""
    server = service(workdir, redis=redis, embeddings=embeddings, **env)
    stack.callback(server.stop)
    return server


def measure_large(workdir: Path, redis8: str) -> None:
    """10 MB JSON text and 20 MiB upload on Redis 8, with concurrent searches."""
    rng = random.Random(1)
    with ExitStack() as stack:
        redis = started_redis(stack, redis8, workdir / "redis8")
        embeddings, _ = stack.enter_context(embeddings_stub(workdir))
        server = started_service(stack, workdir, redis=redis, embeddings=embeddings)
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=600))
        say("[large] seeding 100 small documents ...")
        for number in range(100):
            http.post("/v1/documents", json={"id": f"seed{number}", "title": "t", "text": prose(rng, 2000)})
        print("\n| ingest (Redis 8) | status | chunks | stored = answered | time | searches during the ingest |")
        print("|---|---|---|---|---|---|")
        queries = [" ".join(rng.sample(WORDS, 4)) + f" q{n}" for n in range(500)]
        # The bodies are made before the clock starts: generating them takes seconds.
        json10 = {"id": "json10", "title": "big", "text": prose(rng, 10_000_000)}
        upload20 = {"file": ("big.txt", prose(rng, 20 * 1024 * 1024).encode(), "text/plain")}
        bodies = {
            "10 MB JSON text": ("json10", partial(http.post, "/v1/documents", json=json10)),
            "20 MiB upload": (
                "upload20",
                partial(http.post, "/v1/documents/upload", files=upload20, data={"id": "upload20"}),
            ),
        }
        for name, (document_id, post) in bodies.items():
            if LARGE_ONLY and LARGE_ONLY not in name:
                continue
            say(f"[large] {name} ...")
            with SearchLoop(url=server.url, headers={}, queries=queries) as loop:
                response, millis = timed(post)
            outcome = _outcome(http, document_id, response)
            print(f"| {name} | {outcome} | {millis / 1000:.1f} s | {loop.latencies.summary()} |")


def _outcome(http: httpx.Client, document_id: str, response: httpx.Response | None) -> str:
    """Status, chunk count, and whether what GET shows agrees with the answer (and was written once)."""
    doc = http.get(f"/v1/documents/{document_id}")
    stored = doc.json() if doc.status_code == 200 else None
    once = stored is not None and stored["created_at"] == stored["updated_at"]
    if response is None or response.status_code != 201:
        status = "no answer" if response is None else f"{response.status_code} {response.json()['error']['code']}"
        if stored is None:
            return f"{status} | - | yes (nothing stored)"
        return f"{status} | {stored['chunks']} | NO: stored anyway{'' if once else ', written twice'}"
    created = response.json()
    agrees = stored is not None and stored["chunks"] == created["chunks"] and once
    return f"201 | {created['chunks']} | {'yes' if agrees else 'NO'}"


def probe(server: LiveServer, event: str) -> None:
    """Print the status and time of one /readyz call."""
    response, millis = timed(lambda: httpx.get(f"{server.url}/readyz", timeout=30))
    status = response.status_code if response is not None else "no answer"
    print(f"| {event} | {status} | {millis:.0f} ms |")


def measure_readiness(workdir: Path, redis8: str) -> None:
    """Time and status of /readyz after the service starts and after its dependencies fail or return."""
    print("\n| /readyz after ... | status | time |")
    print("|---|---|---|")
    with ExitStack() as stack:
        redis = started_redis(stack, redis8, workdir / "redis-ready")
        with ExitStack() as first:
            embeddings, stub = first.enter_context(embeddings_stub(workdir))
            server = started_service(first, workdir, redis=redis, embeddings=embeddings)
            probe(server, "the service started (Redis and the embedder work)")
            pid = redis.freeze()
            probe(server, "Redis hangs (SIGSTOP)")
            redis.thaw(pid)
            probe(server, "Redis resumes")
            redis.stop()
            probe(server, "Redis stops")
            redis.start()
            probe(server, "Redis restarts (empty)")
            stub.send_signal(signal.SIGSTOP)
            probe(server, "the embedder hangs (SIGSTOP)")
            stub.send_signal(signal.SIGCONT)
            probe(server, "the embedder resumes")
        embeddings, stub = stack.enter_context(embeddings_stub(workdir))
        stub.kill()
        stub.wait()
        server = started_service(stack, workdir, redis=redis, embeddings=embeddings)
        probe(server, "the service started with the embedder down")


def measure_mixed(workdir: Path, redis7: str, *, seconds: float, shares: list[float]) -> None:
    """Redis 7 (exact search), 13k vectors, a share of ingests: searches per second."""
    rng = random.Random(7)
    with ExitStack() as stack:
        redis = started_redis(stack, redis7, workdir / "redis7")
        embeddings, _ = stack.enter_context(embeddings_stub(workdir))
        server = started_service(
            stack, workdir, redis=redis, embeddings=embeddings, DOCINTEL_CHUNK_SIZE="400", DOCINTEL_CHUNK_OVERLAP="0"
        )
        assert server.process is not None
        with httpx.Client(base_url=server.url, timeout=120) as http:
            say("[mixed] loading 13k vectors ...")
            stored = 0
            while stored < 13_000:
                body = {"id": f"d{stored}", "title": "t", "text": prose(rng, 20 * 390)}
                stored += http.post("/v1/documents", json=body).json()["chunks"]
            http.post("/v1/search", json={"query": "warm up"})
        print(f"\n| Redis 7, {stored} vectors, 4 connections, {seconds:.0f} s | searches/s | search latency |", end="")
        print(" ingests/s | service RSS |\n|---|---|---|---|---|")
        for share in shares:
            rss_before = rss_mb(server.process.pid)
            searches, ingests = Latencies(), Latencies()
            say(f"[mixed] {seconds:.0f} s with {share:.0%} ingests on 4 connections ...")
            _mixed(server.url, share=share, seconds=seconds, searches=searches, ingests=ingests)
            print(
                f"| {share:.0%} of requests ingest 20 chunks | {len(searches.millis) / seconds:.1f} | "
                f"{searches.summary()} | {len(ingests.millis) / seconds:.1f} | "
                f"{rss_before:.0f} -> {rss_mb(server.process.pid):.0f} MB |"
            )


def _mixed(url: str, *, share: float, seconds: float, searches: Latencies, ingests: Latencies) -> None:
    """Four threads sending searches and ingests (``share`` of the requests) for ``seconds``."""
    end = time.monotonic() + seconds
    lock = threading.Lock()
    texts = [prose(random.Random(number), 20 * 390) for number in range(50)]

    def run(number: int) -> None:
        local = random.Random(number)
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < end:
                if local.random() < share:
                    body = {"id": f"mixed{number}-{local.randrange(50)}", "title": "t", "text": local.choice(texts)}
                    response, millis = timed(partial(http.post, "/v1/documents", json=body))
                    target = ingests
                else:
                    query = " ".join(local.sample(WORDS, 3)) + f" q{local.randrange(10**6)}"
                    response, millis = timed(partial(http.post, "/v1/search", json={"query": query}))
                    target = searches
                with lock:
                    target.add(millis, response.status_code if response is not None else 0)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure_secrets(workdir: Path, redis8: str) -> None:
    """Credentials in every setting; count them in responses, the log and the metrics."""
    secrets = {"api key": "api-key-s3cret", "upstream key": "sk-up-s3cret", "URL password": "url-pa55word"}
    secrets["Redis password"] = "redis-pa55word"
    secrets["basic auth"] = base64.b64encode(b"proxy:url-pa55word").decode()
    auth = {"Authorization": f"Bearer {secrets['api key']}"}
    seen: list[str] = []
    with ExitStack() as stack:
        redis = started_redis(stack, redis8, workdir / "redis-secrets", password=secrets["Redis password"])
        embeddings, stub = stack.enter_context(embeddings_stub(workdir))
        host = embeddings.removeprefix("http://")
        server = started_service(
            stack,
            workdir,
            redis=redis,
            embeddings=f"http://proxy:{secrets['URL password']}@{host}",
            DOCINTEL_API_KEY=secrets["api key"],
            DOCINTEL_OPENAI_API_KEY=secrets["upstream key"],
            DOCINTEL_LOG_LEVEL="DEBUG",
        )
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for method, path, kwargs in [
                ("GET", "/readyz", {}),
                ("POST", "/v1/documents", {"json": {"title": "t", "text": "x"}, "headers": auth}),
                ("POST", "/v1/search", {"json": {"query": "x"}, "headers": {"X-API-Key": "wrong"}}),
            ]:
                seen.append(http.request(method, path, **kwargs).text)  # type: ignore[arg-type]
            stub.send_signal(signal.SIGSTOP)
            seen.append(http.get("/readyz").text)
            stub.kill()
            seen.append(http.post("/v1/search", json={"query": "y"}, headers=auth).text)
            redis.stop()
            seen.append(http.post("/v1/search", json={"query": "z"}, headers=auth).text)
            seen.append(http.get("/readyz").text)
            metrics = http.get("/metrics").text
    log = server.log()  # the server has stopped: its whole log
    lines = len(log.splitlines()), len(metrics.splitlines())
    print(f"\nSecrets grep: {len(seen)} responses, {lines[0]} log lines, {lines[1]} metric lines")
    for name, value in secrets.items():
        found = sum(text.count(value) for text in seen), log.count(value), metrics.count(value)
        print(f"- {name}: {found[0]} in responses, {found[1]} in the log, {found[2]} in the metrics")


def main() -> None:
    """Run the chosen measurements."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis7", default=os.environ.get("DOCINTEL_TEST_REDIS_7"), help="redis-server 7.x")
    parser.add_argument("--redis8", default=os.environ.get("DOCINTEL_TEST_REDIS_8"), help="redis-server 8.x")
    parser.add_argument("--only", default=",".join(MEASUREMENTS), help="comma-separated measurements")
    parser.add_argument("--mixed-seconds", type=float, default=30.0)
    parser.add_argument("--mixed-shares", default="0,0.3", help="shares of ingests to measure, comma-separated")
    parser.add_argument("--service-dir", type=Path, help="measure the service/ folder of another checkout instead")
    args = parser.parse_args()
    global SERVICE_DIR  # noqa: PLW0603 - set once, from the command line
    SERVICE_DIR = args.service_dir
    chosen = {name for name in args.only.split(",") if name}
    if unknown := chosen - set(MEASUREMENTS):
        parser.error(f"--only: no measurement {', '.join(sorted(unknown))}; choose from {', '.join(MEASUREMENTS)}")
    if not args.redis7 or not args.redis8:
        raise SystemExit("give --redis7 PATH and --redis8 PATH (or DOCINTEL_TEST_REDIS_7/8)")
    print(f"docintel reliability figures, {os.cpu_count()} CPUs, embeddings stub process ({DIMENSION} dimensions)")
    with tempfile.TemporaryDirectory(prefix="docintel-reliability-") as tmp:
        workdir = Path(tmp)
        if "large" in chosen:
            measure_large(workdir, args.redis8)
        if "readiness" in chosen:
            measure_readiness(workdir, args.redis8)
        if "mixed" in chosen:
            shares = [float(share) for share in args.mixed_shares.split(",")]
            measure_mixed(workdir, args.redis7, seconds=args.mixed_seconds, shares=shares)
        if "secrets" in chosen:
            measure_secrets(workdir, args.redis8)


if __name__ == "__main__":
    main()
