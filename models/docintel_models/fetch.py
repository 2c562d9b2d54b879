"""Making sure a model's verified files are in the cache: :func:`ensure_model`."""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import ModelPaths, VerificationMarker
from .download import DISK_FULL_ERRNOS, download_file, free_space, part_size
from .errors import DiskFullError, ModelError
from .lock import exclusive_lock
from .manifest import Manifest, ModelFile, load_manifest
from .progress import Reporter
from .sources import resolve_source
from .units import human_bytes
from .verify import FileCheck, FileState, check_file


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_model` did for one model."""

    name: str
    path: Path
    files_total: int
    files_fetched: int
    bytes_fetched: int
    files_hashed: int
    seconds: float


def ensure_model(
    name: str,
    *,
    cache_dir: Path | str,
    source: str | None = None,
    progress: bool = False,
    manifest: Manifest | None = None,
) -> Path:
    """Return ``<cache_dir>/<name>/<revision>`` holding all of the model's verified files.

    Files already cached are checked (sha256 and size; a marker keyed by their
    stat skips re-hashing unchanged files); missing or wrong ones are fetched
    from ``source`` (see :func:`docintel_models.sources.resolve_source`), resuming
    partial downloads. Concurrent callers are serialised by a file lock.
    Progress goes to stderr: a bar if ``progress`` or stderr is a TTY, else lines.
    Raises a :class:`ModelError` subclass on failure.
    """
    return fetch_model(name, cache_dir=cache_dir, source=source, progress=progress, manifest=manifest).path


def fetch_model(
    name: str,
    *,
    cache_dir: Path | str,
    source: str | None = None,
    progress: bool = False,
    manifest: Manifest | None = None,
    reporter: Reporter | None = None,
) -> FetchResult:
    """Like :func:`ensure_model`, but return a :class:`FetchResult` with statistics."""
    spec = (manifest or load_manifest()).get(name)
    paths = ModelPaths(Path(cache_dir), spec)
    out = reporter or Reporter.for_stderr(progress)
    started = time.monotonic()

    def waiting() -> None:
        out.message(f"{name}: waiting for another process to finish fetching it")

    try:
        with exclusive_lock(paths.lock_path, on_wait=waiting):
            marker = VerificationMarker.load(paths.marker_path)
            checks = [check_file(paths, f, marker) for f in spec.files]
            todo = [c.file for c in checks if c.state is not FileState.OK]
            for check in checks:
                stale = paths.part_path(check.file)
                if check.state is FileState.OK:
                    if stale.exists():  # a partial download left next to a good file
                        stale.unlink()
                elif check.state is not FileState.MISSING:
                    out.message(f"{name}: cached {check.file.path}: {check.state.value}; refetching")
                    paths.file_path(check.file).unlink()
            marker.save()
            fetched = _fetch_missing(paths, todo, marker, source, out) if todo else 0
    except OSError as exc:
        raise _cache_error(exc, paths) from exc
    return FetchResult(
        name=name,
        path=paths.model_dir,
        files_total=len(spec.files),
        files_fetched=len(todo),
        bytes_fetched=fetched,
        files_hashed=sum(c.hashed for c in checks),
        seconds=time.monotonic() - started,
    )


def _fetch_missing(
    paths: ModelPaths,
    todo: list[ModelFile],
    marker: VerificationMarker,
    source: str | None,
    out: Reporter,
) -> int:
    """Download ``todo`` files (lock held); return bytes transferred."""
    paths.model_dir.mkdir(parents=True, exist_ok=True)
    remaining = [f.size - min(part_size(paths.part_path(f)), f.size) for f in todo]
    needed = sum(remaining)
    available = free_space(paths.model_dir)
    if available is not None and available < needed:
        raise DiskFullError(str(paths.model_dir), needed=needed, available=available)
    src = resolve_source(source)
    try:
        out.message(f"{paths.spec.name}: fetching {len(todo)} file(s), {human_bytes(needed)} from {src.description}")
        total = 0
        for index, model_file in enumerate(todo):
            final = paths.file_path(model_file)
            total += download_file(
                src,
                paths.spec,
                model_file,
                final,
                reporter=out,
                needed_after=sum(remaining[index + 1 :]),
            )
            marker.record(model_file, os.stat(final))
            marker.save()
        return total
    finally:
        src.close()


def _cache_error(exc: OSError, paths: ModelPaths) -> ModelError:
    where = exc.filename or paths.root
    if exc.errno in DISK_FULL_ERRNOS:
        return DiskFullError(str(where), needed=None, available=free_space(paths.cache_dir))
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ModelError(
            f"model cache {where} is not writable: {exc.strerror}; make it writable for uid {os.getuid()} "
            "(the images run as 65532: chown -R 65532:65532 on the volume's directory), or mount a writable volume"
        )
    return ModelError(f"model cache error at {where}: {exc.strerror or exc}")


def verify_model(name: str, *, cache_dir: Path | str, manifest: Manifest | None = None) -> list[FileCheck]:
    """Hash every cached file of model ``name`` in full (ignoring the marker).

    Fetches nothing. Returns one :class:`FileCheck` per manifest file; the
    marker is refreshed so the next :func:`ensure_model` trusts what was hashed.
    """
    spec = (manifest or load_manifest()).get(name)
    paths = ModelPaths(Path(cache_dir), spec)
    if not paths.root.is_dir():
        return [FileCheck(f, FileState.MISSING, hashed=False) for f in spec.files]
    try:
        with exclusive_lock(paths.lock_path):
            marker = VerificationMarker.load(paths.marker_path)
            checks = [check_file(paths, f, marker, trust_marker=False) for f in spec.files]
            marker.save()
    except OSError as exc:
        raise _cache_error(exc, paths) from exc
    return checks
