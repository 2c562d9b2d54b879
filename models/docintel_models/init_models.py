"""``init_models``: fetch (or verify) the models into the cache volume ahead of time.

Usage::

    init_models [--model NAME ... | --all] [--cache-dir DIR] [--mirror DIR_OR_URL]
                [--verify-only] [--list] [--progress | --quiet]

Without ``--model`` every model the source can give is handled: with a mirror
directory, each model all of whose files it holds; with an HTTP mirror, every
model in the manifest; with the hub, the hub's models (the others are built by
Bazel and come from a mirror). Each model skipped is named on stderr.
``--all`` asks for every model whatever the source. Relative paths are taken
from the directory ``bazel run`` was called in. Exits 0 on success, 1 with a
one-line ``init_models: error: ...`` reason on failure, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .cache import CACHE_DIR_ENV, ModelPaths, default_cache_dir
from .errors import ModelError
from .fetch import fetch_model, verify_model
from .http_source import HubSource
from .manifest import Manifest, ModelSpec, load_manifest
from .progress import Reporter
from .source_base import MIRROR_ENV, Source
from .sources import DirectorySource, resolve_source
from .units import human_bytes
from .verify import FileState

PROG = "init_models"
# Set by tools/bazel inside its build root: the host directories it shares
# (colon-separated). Anything else written there stays inside the root.
SHARED_PATHS_ENV = "DOCINTEL_BUILD_ROOT_SHARED"


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of ``init_models``."""
    parser = argparse.ArgumentParser(prog=PROG, description="Fetch and verify the models listed in the manifest.")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--model",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="model to handle (repeatable; default: every model the source has)",
    )
    which.add_argument("--all", action="store_true", help="handle every model, also those the source lacks")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"model cache directory (default: ${CACHE_DIR_ENV} or /models)",
    )
    parser.add_argument(
        "--mirror",
        default=None,
        metavar="DIR_OR_URL",
        help=f"mirror directory, file:// or http(s):// URL, or 'hf' for the hub (default: ${MIRROR_ENV}, else the hub)",
    )
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="hash the cached files in full; fetch nothing; fail if any is missing or wrong",
    )
    parser.add_argument("--list", action="store_true", help="list the known models and exit")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", help="always draw a progress bar")
    shown.add_argument("--quiet", action="store_true", help="print only the summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``init_models`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = build_parser().parse_args(argv)
    # `bazel run` starts us in the runfiles; the user's relative paths are from where they called it.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    cache_dir: Path = (args.cache_dir or default_cache_dir()).absolute()
    try:
        _check_shared(cache_dir, "--cache-dir")
        manifest = load_manifest()
        if args.list:
            _list(manifest, cache_dir)
            return 0
        source = resolve_source(args.mirror)  # what the fetches will read from (each opens its own)
        source.close()
        if isinstance(source, DirectorySource):
            _check_shared(source.root.absolute(), "--mirror")
        specs = _select(manifest, args.model, args.all, source)
        if args.verify_only:
            return _verify(manifest, specs, cache_dir)
        reporter = Reporter.for_stderr(args.progress)
        reporter.enabled = not args.quiet
        return _fetch(manifest, specs, cache_dir, args.mirror, reporter)
    except ModelError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130


def _check_shared(path: Path, flag: str) -> None:
    """Inside tools/bazel's build root, fails for a path the root does not share with the host."""
    shared = [Path(p) for p in os.environ.get(SHARED_PATHS_ENV, "").split(":") if p]
    if shared and not any(path.is_relative_to(p) for p in shared):
        raise ModelError(
            f"{flag} {path} is outside what tools/bazel's build root shares with this machine "
            f"({', '.join(map(str, shared))}): files there would stay inside the root; give a directory "
            "under one of those, or run init_models in the ml image (deploy/README.md)"
        )


def _select(manifest: Manifest, names: list[str], everything: bool, source: Source) -> list[ModelSpec]:
    """The models asked for: by name, all, or (the default) those the source has, naming each one skipped."""
    if names:
        return [manifest.get(name) for name in dict.fromkeys(names)]
    specs = list(manifest.models.values())
    if everything:
        return specs
    selected = []
    for spec in specs:
        lacks = _lacks(source, spec)
        if lacks:
            print(f"{spec.name}: skipped: {lacks}; --model {spec.name} (or --all) asks for it anyway", file=sys.stderr)
        else:
            selected.append(spec)
    if not selected:
        raise ModelError(f"{source.description} holds none of the known models; check it, or pass --model NAME")
    return selected


def _lacks(source: Source, spec: ModelSpec) -> str | None:
    """Why the source lacks ``spec``, where that can be known without fetching; else None."""
    if isinstance(source, HubSource) and spec.source.kind != "hf":
        return f"not on the hub (built by {spec.source.target}); give --mirror (or {MIRROR_ENV}) to fetch it too"
    # An empty or missing mirror directory is left to the fetch, whose error says what to do.
    if isinstance(source, DirectorySource) and any(source.root.glob("*")) and not source.has(spec):
        return f"not all of its files are in the mirror {source.description}"
    return None


def _list(manifest: Manifest, cache_dir: Path) -> None:
    for spec in manifest.models.values():
        paths = ModelPaths(cache_dir, spec)
        present = sum(
            1 for f in spec.files if paths.file_path(f).is_file() and paths.file_path(f).stat().st_size == f.size
        )
        state = "cached" if present == len(spec.files) else f"{present}/{len(spec.files)} cached"
        print(
            f"{spec.name}\t{spec.source.origin}@{spec.revision}\t"
            f"dim={spec.dimension}\t{len(spec.files)} files\t{human_bytes(spec.total_size)}\t"
            f"{state}"
        )


def _fetch(
    manifest: Manifest,
    specs: list[ModelSpec],
    cache_dir: Path,
    mirror: str | None,
    reporter: Reporter,
) -> int:
    started = time.monotonic()
    files = size = 0
    for spec in specs:
        result = fetch_model(spec.name, cache_dir=cache_dir, source=mirror, manifest=manifest, reporter=reporter)
        files += result.files_fetched
        size += result.bytes_fetched
        print(
            f"{spec.name}: ready at {result.path} (fetched {result.files_fetched} of "
            f"{result.files_total} files, {human_bytes(result.bytes_fetched)}, "
            f"hashed {result.files_hashed}, {result.seconds:.1f} s)"
        )
    print(
        f"{PROG}: {len(specs)} model(s) ready; fetched {files} file(s), "
        f"{human_bytes(size)} in {time.monotonic() - started:.1f} s"
    )
    return 0


def _verify(manifest: Manifest, specs: list[ModelSpec], cache_dir: Path) -> int:
    started = time.monotonic()
    failed: list[str] = []
    for spec in specs:
        checks = verify_model(spec.name, cache_dir=cache_dir, manifest=manifest)
        bad = [c for c in checks if c.state is not FileState.OK]
        if bad:
            failed.append(spec.name)
            problems = ", ".join(f"{c.file.path} ({c.state.value})" for c in bad)
            print(f"{spec.name}: {len(bad)} of {len(checks)} files bad: {problems}")
        else:
            print(f"{spec.name}: all {len(checks)} files verified")
    if failed:
        print(
            f"{PROG}: error: verification failed for {', '.join(failed)} in {cache_dir}; "
            f"run {PROG} without --verify-only to fetch",
            file=sys.stderr,
        )
        return 1
    print(f"{PROG}: {len(specs)} model(s) verified in {time.monotonic() - started:.1f} s")
    return 0
