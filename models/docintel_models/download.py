"""Fetching one file: to ``<file>.part``, resumable, verified, renamed atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .cache import PART_SUFFIX
from .errors import ChecksumMismatchError, DiskFullError, ModelError, TransferInterruptedError
from .manifest import ModelFile, ModelSpec
from .progress import Reporter
from .source_base import Source
from .verify import hash_prefix

MAX_ATTEMPTS = 5
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def free_space(path: Path) -> int | None:
    """Bytes available to this process on the filesystem holding ``path`` (None if unknown)."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def part_size(part: Path) -> int:
    """Length of a partial download, 0 if there is none."""
    try:
        return part.stat().st_size
    except FileNotFoundError:
        return 0


def write_chunk(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the descriptor ``fd`` (raises OSError, e.g. ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


@dataclass
class _Attempt:
    start: int  # offset the source delivered from
    received: int  # bytes received in this attempt
    sha256: str  # of the whole source file (prefix on disk + received)
    origin: str  # exact path or URL read
    interrupted: TransferInterruptedError | None


def download_file(
    source: Source,
    spec: ModelSpec,
    model_file: ModelFile,
    final: Path,
    *,
    reporter: Reporter,
    needed_after: int = 0,
) -> int:
    """Fetch ``model_file`` into ``final`` via ``final.part``; return bytes transferred.

    An existing ``.part`` is resumed from its length. The whole file's sha256 and
    size are checked before the atomic rename; on a mismatch the part is removed
    and :class:`ChecksumMismatchError` raised. A transfer that breaks off midway is
    resumed (up to ``MAX_ATTEMPTS`` attempts, while each makes progress); a
    mismatch after resuming is retried once from scratch, as the old part may
    have been bad. ``needed_after`` is the size of files still to fetch after
    this one, for the :class:`DiskFullError` message.
    """
    part = final.with_name(final.name + PART_SUFFIX)
    final.parent.mkdir(parents=True, exist_ok=True)
    transferred = 0
    restarted = False
    interrupted: TransferInterruptedError | None = None
    reporter.start(model_file.path, model_file.size, min(part_size(part), model_file.size))
    try:
        for _ in range(MAX_ATTEMPTS):
            offset = part_size(part)
            if offset > model_file.size:
                part.unlink()
                offset = 0
            attempt = _attempt(
                source, spec, model_file, part=part, offset=offset, reporter=reporter, needed_after=needed_after
            )
            transferred += attempt.received
            interrupted = attempt.interrupted
            if interrupted is not None:
                if attempt.received == 0:
                    raise interrupted
                reporter.message(f"{model_file.path}: {interrupted.reason}; resuming")
                continue
            actual_size = attempt.start + attempt.received
            if attempt.sha256 == model_file.sha256 and actual_size == model_file.size:
                _commit(part, final)
                reporter.finish()
                return transferred
            part.unlink()
            if attempt.start > 0 and not restarted:
                restarted = True
                reporter.message(f"{model_file.path}: resumed download is corrupt; restarting")
                continue
            raise ChecksumMismatchError(
                model_file.path,
                expected_sha256=model_file.sha256,
                actual_sha256=attempt.sha256,
                expected_size=model_file.size,
                actual_size=actual_size,
                origin=attempt.origin,
            )
        if interrupted is not None:
            raise interrupted
        raise ModelError(f"{model_file.path}: download kept failing; giving up")
    except BaseException:
        reporter.abort()
        raise


def _attempt(
    source: Source,
    spec: ModelSpec,
    model_file: ModelFile,
    *,
    part: Path,
    offset: int,
    reporter: Reporter,
    needed_after: int,
) -> _Attempt:
    """Append the source's bytes from ``offset`` to ``part`` and hash the whole file.

    Bytes beyond the expected size are hashed (so a mismatch reports the source's
    true hash) but never written.
    """
    with source.open(spec, model_file, offset) as transfer:
        start = transfer.offset
        digest = hash_prefix(part, start)
        reporter.restart(start)
        received = 0
        interrupted: TransferInterruptedError | None = None
        with _open_part(part, start) as fd:
            try:
                for chunk in transfer.chunks:
                    room = model_file.size - start - received
                    if room > 0:
                        _write(fd, chunk[:room], part, room + needed_after)
                    digest.update(chunk)
                    received += len(chunk)
                    reporter.advance(len(chunk))
            except TransferInterruptedError as exc:
                interrupted = exc
            _fsync(fd, part, model_file.size - start - received + needed_after)
        return _Attempt(start, received, digest.hexdigest(), transfer.origin, interrupted)


@contextlib.contextmanager
def _open_part(part: Path, start: int) -> Iterator[int]:
    """Open ``part`` for writing at ``start``, dropping anything after it."""
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _os_error(exc, part, 0) from exc
    try:
        os.ftruncate(fd, start)
        os.lseek(fd, start, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)


def _write(fd: int, data: bytes, part: Path, needed: int) -> None:
    try:
        write_chunk(fd, data)
    except OSError as exc:
        raise _os_error(exc, part, needed) from exc


def _fsync(fd: int, part: Path, needed: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        raise _os_error(exc, part, max(needed, 0)) from exc


def _os_error(exc: OSError, part: Path, needed: int) -> ModelError:
    if exc.errno in DISK_FULL_ERRNOS:
        return DiskFullError(str(part), needed=needed, available=free_space(part.parent))
    return ModelError(f"cannot write {part}: {exc.strerror or exc}")


def _commit(part: Path, final: Path) -> None:
    """Atomically move the verified ``part`` into place and persist the rename."""
    os.replace(part, final)
    with contextlib.suppress(OSError):
        dir_fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
