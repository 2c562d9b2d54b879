"""Checking files against the manifest's sha256 and size."""

from __future__ import annotations

import enum
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .cache import ModelPaths, VerificationMarker, stat_key
from .manifest import ModelFile

CHUNK_SIZE = 1024 * 1024


class FileState(enum.Enum):
    """Result of checking one cached file."""

    OK = "ok"
    MISSING = "missing"
    WRONG_SIZE = "wrong size"
    CHECKSUM_MISMATCH = "checksum mismatch"


@dataclass(frozen=True)
class FileCheck:
    """State of one cached file, and whether a hash was computed to learn it."""

    file: ModelFile
    state: FileState
    hashed: bool


def sha256_file(path: Path, *, limit: int | None = None) -> str:
    """Return the hex sha256 of ``path`` (of its first ``limit`` bytes if given)."""
    return hash_prefix(path, limit).hexdigest()


def hash_prefix(path: Path, limit: int | None = None) -> hashlib._Hash:
    """Return a sha256 object fed with the first ``limit`` bytes (all if None) of ``path``."""
    digest = hashlib.sha256()
    if limit == 0:
        return digest
    remaining = limit
    with path.open("rb") as fh:
        while remaining is None or remaining > 0:
            want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
            chunk = fh.read(want)
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest


def check_file(
    paths: ModelPaths,
    model_file: ModelFile,
    marker: VerificationMarker,
    *,
    trust_marker: bool = True,
) -> FileCheck:
    """Check the cached copy of ``model_file``; update ``marker`` with the outcome.

    With ``trust_marker`` a file whose size, mtime and ctime match the marker is
    accepted without hashing; otherwise it is hashed in full.
    """
    target = paths.file_path(model_file)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        marker.forget(model_file)
        return FileCheck(model_file, FileState.MISSING, hashed=False)
    if st.st_size != model_file.size:
        marker.forget(model_file)
        return FileCheck(model_file, FileState.WRONG_SIZE, hashed=False)
    if trust_marker and marker.is_verified(model_file, st):
        return FileCheck(model_file, FileState.OK, hashed=False)
    if sha256_file(target) != model_file.sha256:
        marker.forget(model_file)
        return FileCheck(model_file, FileState.CHECKSUM_MISMATCH, hashed=True)
    # Re-stat: the marker must describe the file as it was when hashed.
    if stat_key(os.stat(target)) == stat_key(st):
        marker.record(model_file, st)
    return FileCheck(model_file, FileState.OK, hashed=True)
