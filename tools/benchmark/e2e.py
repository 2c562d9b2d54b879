"""The end-to-end check every caller shares: start the service, wait until it is ready, ingest and search.

tools/bench (container start), .ci/registry_roundtrip.sh and deploy/smoke_test.sh
all go through here, so they start containers the same way and wait for
`/readyz` under one timeout policy (READY_TIMEOUT). Standard library only (the
host's python3 runs it):

    e2e.py start IMAGE --name NAME --port PORT --redis URL --models DIR [--mirror DIR]
                 [--env KEY=VALUE ...] [--read-only] [--read-only-models]
                      run the image with podman (host network, DIR at /models)
                      and wait for /readyz; prints the seconds it took.
                      --read-only: a read-only root, all capabilities
                      dropped, a tmpfs at /tmp (READ_ONLY); --read-only-models:
                      DIR mounted read-only
    e2e.py wait URL [--container NAME]
                      wait for URL/readyz (and give up early if NAME exits)
    e2e.py check URL --query TEXT [--expect ID]
                      ingest three documents on different topics, search,
                      fail unless ID (default: cats) ranks first
    e2e.py mirror IMAGE   mount a loaded model image; print its model directory
    e2e.py unmirror IMAGE
    e2e.py stop NAME  remove the container

Exit status 1 with a message on stderr when a check fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# How long a container may take from `podman run` to a 200 from /readyz: the
# ml image with an empty model cache fetches and verifies 90 MB first.
READY_TIMEOUT = 240.0
POLL_SECONDS = 0.1
# Three documents on unrelated topics; a query about cats must rank "cats" first.
DOCUMENTS = (
    {
        "id": "cats",
        "title": "Cats",
        "text": "Cats are small domesticated felines. A cat purrs, sleeps most of the day and chases mice.",
    },
    {
        "id": "tax",
        "title": "Tax law",
        "text": "Income tax law sets brackets, deductions and the deadlines for filing returns.",
    },
    {
        "id": "rust",
        "title": "Rust",
        "text": "Rust is a systems programming language with ownership and borrowing.",
    },
)
# Where a model image keeps its files: the model cache layout under /models.
MODEL_DIR = "models"
# A locked-down container: nothing in the image can be written, no capabilities;
# /tmp for what the service spools (uploads over 1 MB).
READ_ONLY = ("--read-only", "--cap-drop=ALL", "--tmpfs", "/tmp")  # noqa: S108 - the container's own tmpfs


class E2EError(Exception):
    """A check failed; the message says which and shows what the service said."""


@dataclass(frozen=True)
class Hit:
    """One search hit."""

    document_id: str
    score: float


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET of `url`, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs we build
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_ready(url: str, *, container: str | None = None, timeout: float = READY_TIMEOUT) -> float:
    """Polls `url`/readyz until it answers 200; the seconds it took.

    Gives up after `timeout` seconds, or as soon as `container` (if given) is
    no longer running, with the container's last log lines in the error.
    """
    started = time.monotonic()
    while http_status(f"{url}/readyz", timeout=1) != 200:
        waited = time.monotonic() - started
        if container is not None and not _running(container):
            raise E2EError(f"container {container} exited before {url}/readyz answered:\n{_logs(container)}")
        if waited > timeout:
            where = f":\n{_logs(container)}" if container else ""
            raise E2EError(f"{url}/readyz did not answer 200 within {timeout:.0f} s{where}")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def start(
    image: str,
    *,
    name: str,
    port: int,
    redis_url: str,
    models: Path,
    mirror: Path | None = None,
    env: Mapping[str, str] | None = None,
    read_only: bool = False,
    read_only_models: bool = False,
) -> float:
    """Runs `image` as container `name` on the host network and waits for /readyz.

    The model cache is `models` (mounted at /models); with `mirror`, the model
    is fetched from that directory (mounted read-only at /mirror). `env` adds
    variables; `read_only` locks the container down (READ_ONLY),
    `read_only_models` mounts the model cache read-only. Returns the
    seconds from `podman run` to a 200 from /readyz.
    """
    remove(name)
    volume = f"{models}:/models" + (":ro" if read_only_models else "")
    argv = ["podman", "run", "-d", "--name", name, "--network", "host", "-v", volume]
    argv += ["-e", f"PORT={port}", "-e", f"DOCINTEL_REDIS_URL={redis_url}"]
    if mirror is not None:
        argv += ["-v", f"{mirror}:/mirror:ro", "-e", "DOCINTEL_MODEL_MIRROR=/mirror"]
    for key, value in (env or {}).items():
        argv += ["-e", f"{key}={value}"]
    if read_only:
        argv += READ_ONLY
    started = time.monotonic()
    podman(*argv[1:], image)
    wait_ready(f"http://127.0.0.1:{port}", container=name, timeout=READY_TIMEOUT - (time.monotonic() - started))
    return time.monotonic() - started


def remove(name: str) -> None:
    """Removes container `name` if there is one."""
    podman("rm", "-f", name, check=False)


def check(url: str, query: str, expect: str = "cats") -> list[Hit]:
    """Ingests DOCUMENTS, searches `query`; the hits, best first. Raises unless `expect` is first."""
    for document in DOCUMENTS:
        post(f"{url}/v1/documents", document)
    answer = post(f"{url}/v1/search", {"query": query, "k": len(DOCUMENTS)})
    found = answer.get("hits")
    hits = [Hit(str(hit["document_id"]), float(hit["score"])) for hit in found] if isinstance(found, list) else []
    if not hits or hits[0].document_id != expect:
        raise E2EError(f"search {query!r}: expected {expect!r} first, got {_ranking(hits) or 'no hits'}")
    return hits


def mount_model(image: str) -> Path:
    """Mounts a loaded model image (podman image mount); its model directory, a mirror for DOCINTEL_MODEL_MIRROR."""
    return Path(podman("image", "mount", image).stdout.strip()) / MODEL_DIR


def unmount_model(image: str) -> None:
    """Unmounts what mount_model mounted."""
    podman("image", "unmount", image, check=False)


def loaded_image(podman_load_output: str) -> str:
    """The image name `podman load` reports ("Loaded image: NAME" or "Loaded image(s): NAME,...")."""
    for line in reversed(podman_load_output.splitlines()):
        head, _, names = line.partition(":")
        if head.strip().startswith("Loaded image") and names.strip():
            return names.strip().split(",")[0]
    raise E2EError(f"podman load named no image:\n{podman_load_output[-1000:]}")


def _ranking(hits: list[Hit]) -> str:
    return ", ".join(f"{hit.document_id} {hit.score:.3f}" for hit in hits)


def post(url: str, body: object) -> dict[str, object]:
    """POSTs JSON, returns the JSON answer; an HTTP error becomes an E2EError with the service's words."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - http URLs we build
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise E2EError(f"POST {url}: HTTP {error.code}: {error.read()[:500].decode(errors='replace')}") from None
    except (urllib.error.URLError, OSError) as error:
        raise E2EError(f"POST {url}: {error}") from None
    if not isinstance(answer, dict):
        raise E2EError(f"POST {url}: not a JSON object: {answer!r}")
    return answer


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs podman (from PATH: the host's container engine). With `check`, a failure raises."""
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)  # noqa: S607
    if check and result.returncode != 0:
        raise E2EError(f"podman {' '.join(args[:2])} failed: {result.stderr.strip()[-1000:]}")
    return result


def _running(container: str) -> bool:
    return podman("inspect", "--format", "{{.State.Running}}", container, check=False).stdout.strip() == "true"


def _logs(container: str | None) -> str:
    if container is None:
        return ""
    logs = podman("logs", container, check=False)
    return "\n".join((logs.stdout + logs.stderr).splitlines()[-20:])


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="e2e.py", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("start", help="run an image and wait for /readyz")
    run.add_argument("image")
    run.add_argument("--name", required=True, help="container name")
    run.add_argument("--port", type=int, required=True, help="the service's port (host network)")
    run.add_argument("--redis", required=True, help="DOCINTEL_REDIS_URL")
    run.add_argument("--models", type=Path, required=True, help="model cache directory, mounted at /models")
    run.add_argument("--mirror", type=Path, help="model mirror directory, mounted at /mirror")
    run.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="a variable for the service")
    run.add_argument("--read-only", action="store_true", help="read-only root, no capabilities, tmpfs /tmp")
    run.add_argument("--read-only-models", action="store_true", help="mount the model cache read-only")
    wait = commands.add_parser("wait", help="wait for URL/readyz")
    wait.add_argument("url")
    wait.add_argument("--container", help="give up as soon as this container exits")
    search = commands.add_parser("check", help="ingest three documents, search, check the first hit")
    search.add_argument("url")
    search.add_argument("--query", required=True)
    search.add_argument("--expect", default="cats", help="the document that must rank first")
    for name in ("mirror", "unmirror"):
        commands.add_parser(name, help=f"{name} a loaded model image").add_argument("image")
    commands.add_parser("stop", help="remove a container").add_argument("name")
    return parser


def main(argv: list[str]) -> int:
    """Runs one subcommand; 1 with a message when a check fails."""
    args = _arguments().parse_args(argv)
    try:
        if args.command == "start":
            took = start(
                args.image,
                name=args.name,
                port=args.port,
                redis_url=args.redis,
                models=args.models,
                mirror=args.mirror,
                env=dict(item.partition("=")[::2] for item in args.env),
                read_only=args.read_only,
                read_only_models=args.read_only_models,
            )
            print(f"{args.name}: ready in {took:.1f} s")
        elif args.command == "wait":
            print(f"{args.url}: ready in {wait_ready(args.url, container=args.container):.1f} s")
        elif args.command == "check":
            print(f"search {args.query!r}: {_ranking(check(args.url, args.query, args.expect))}")
        elif args.command == "mirror":
            print(mount_model(args.image))
        elif args.command == "unmirror":
            unmount_model(args.image)
        else:
            remove(args.name)
    except E2EError as error:
        print(f"e2e: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
