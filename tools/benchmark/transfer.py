"""Bytes that moved: from the remote cache's access log, into the registry, onto the disk.

    transfer.py cache LOG [--since LINES] [--report PUSH_REPORT.json]
        -> "BLOB_BYTES OTHER_BYTES ADDED_BYTES": bytes the cache sent for the
           images' blobs (the push report's digests) and for everything else,
           and bytes PUT into it, in LOG's lines after the first LINES
    transfer.py lines LOG        -> how many lines LOG has (a mark for --since)
    transfer.py registry URL     -> bytes the registry has received (its metrics)
    transfer.py disk DIR         -> bytes of the files under DIR (links not followed)

LOG is tools/cache/nginx_cache.sh's access log (`METHOD URI STATUS BYTES_SENT
REQUEST_LENGTH`). URL is a docker-registry's Prometheus endpoint
(tools/oci/local_registry.sh --metrics): the sum of its
registry_http_request_size_bytes, headers and bodies of every request.
.ci/cache_and_repro.sh asserts on these figures; tools/bench prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REQUEST_SIZE_METRIC = "registry_http_request_size_bytes_sum"


@dataclass(frozen=True)
class CacheTraffic:
    """What the cache served and took in a span of its log."""

    blob_bytes: int  # GET /cas/<sha256> of the images' blobs
    other_bytes: int  # every other GET: action results, descriptors, listings, tools
    added_bytes: int  # PUT: what the builds in the span added


def log_lines(log: Path) -> int:
    """How many lines the log has now (0 if it is not there yet)."""
    try:
        with log.open("rb") as lines:
            return sum(1 for _ in lines)
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class Request:
    """One line of the cache's access log: `METHOD URI STATUS BYTES_SENT REQUEST_LENGTH`."""

    method: str
    uri: str
    status: str
    sent: int  # body bytes the cache sent
    received: int  # the request's length, headers and body


def log_requests(log: Path, *, since: int = 0) -> list[Request]:
    """The requests in the log's lines after the first `since`; lines of another shape are passed over."""
    found = []
    with log.open() as lines:
        for number, line in enumerate(lines):
            fields = line.split()
            if number < since or len(fields) != 5 or not fields[3].isdigit() or not fields[4].isdigit():
                continue
            method, uri, status, sent, received = fields
            found.append(Request(method, uri, status, int(sent), int(received)))
    return found


def cache_traffic(log: Path, *, since: int, blobs: frozenset[str]) -> CacheTraffic:
    """The traffic in the log's lines after the first `since`; `blobs` are sha256 hex digests."""
    blob_bytes = other_bytes = added_bytes = 0
    for request in log_requests(log, since=since):
        if request.method == "PUT":
            added_bytes += request.received
        elif request.method == "GET" and request.uri.startswith("/cas/") and request.uri.removeprefix("/cas/") in blobs:
            blob_bytes += request.sent
        elif request.method == "GET":
            other_bytes += request.sent
    return CacheTraffic(blob_bytes, other_bytes, added_bytes)


def report_blobs(report: Path) -> frozenset[str]:
    """The hex digests of every blob in a push report (push.py --report)."""
    document = json.loads(report.read_text())
    return frozenset(str(blob["digest"]).removeprefix("sha256:") for blob in document["blobs"])


def registry_received(metrics_url: str) -> int:
    """Bytes the registry has received so far, by its own count."""
    with urllib.request.urlopen(metrics_url, timeout=30) as response:  # noqa: S310 (a loopback URL we started)
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(REQUEST_SIZE_METRIC):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def tree_bytes(root: Path) -> int:
    """Bytes in the regular files under root, links not followed (what a registry, cache or output base stores)."""
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def main(argv: list[str]) -> int:
    """The command line of the module docstring."""
    parser = argparse.ArgumentParser(prog="transfer.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cache = commands.add_parser("cache", help="bytes the cache sent (blobs, other) and took")
    cache.add_argument("log", type=Path)
    cache.add_argument("--since", type=int, default=0, help="skip the log's first lines")
    cache.add_argument("--report", type=Path, help="push.py's report: its blobs count as blobs")
    commands.add_parser("lines", help="lines in the log").add_argument("log", type=Path)
    commands.add_parser("registry", help="bytes the registry received").add_argument("url")
    commands.add_parser("disk", help="bytes under a directory").add_argument("root", type=Path)
    args = parser.parse_args(argv)
    if args.command == "cache":
        blobs = report_blobs(args.report) if args.report else frozenset()
        traffic = cache_traffic(args.log, since=args.since, blobs=blobs)
        print(traffic.blob_bytes, traffic.other_bytes, traffic.added_bytes)
    elif args.command == "lines":
        print(log_lines(args.log))
    elif args.command == "registry":
        print(registry_received(args.url))
    else:
        print(tree_bytes(args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
