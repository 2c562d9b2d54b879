"""Cache layout and the verification marker.

Layout under the cache directory::

    <cache_dir>/<name>/.lock                    exclusive lock (fcntl.flock)
    <cache_dir>/<name>/.verified-<revision>.json  marker of verified files
    <cache_dir>/<name>/<revision>/<files>       the model directory
    <cache_dir>/<name>/<revision>/<file>.part   download in progress

The marker remembers, per file, the sha256 that was verified together with the
file's size, mtime and ctime. A file whose stat still matches is trusted without
re-hashing; any write to it changes its ctime, so it is hashed again.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .manifest import ModelFile, ModelSpec

CACHE_DIR_ENV = "DOCINTEL_MODEL_DIR"
DEFAULT_CACHE_DIR = Path("/models")
PART_SUFFIX = ".part"


def default_cache_dir() -> Path:
    """Return ``$DOCINTEL_MODEL_DIR`` or ``/models``."""
    value = os.environ.get(CACHE_DIR_ENV)
    return Path(value) if value else DEFAULT_CACHE_DIR


@dataclass(frozen=True)
class ModelPaths:
    """Paths of one model (at its pinned revision) inside a cache directory."""

    cache_dir: Path
    spec: ModelSpec

    @property
    def root(self) -> Path:
        """``<cache_dir>/<name>``: holds the lock, markers and revisions."""
        return self.cache_dir / self.spec.name

    @property
    def model_dir(self) -> Path:
        """``<cache_dir>/<name>/<revision>``: the directory handed to loaders."""
        return self.root / self.spec.revision

    @property
    def lock_path(self) -> Path:
        """The lock file serialising fetches of this model."""
        return self.root / ".lock"

    @property
    def marker_path(self) -> Path:
        """The verification marker for this revision."""
        return self.root / f".verified-{self.spec.revision}.json"

    def file_path(self, model_file: ModelFile) -> Path:
        """Final location of ``model_file``."""
        return self.model_dir / model_file.path

    def part_path(self, model_file: ModelFile) -> Path:
        """Temporary download location of ``model_file`` (same directory)."""
        final = self.file_path(model_file)
        return final.with_name(final.name + PART_SUFFIX)


def stat_key(st: os.stat_result) -> list[int]:
    """The parts of a stat that change whenever a file's content may have changed."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


@dataclass
class VerificationMarker:
    """Remembers which files were verified, keyed by their stat, for fast restarts."""

    path: Path
    entries: dict[str, dict[str, object]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> VerificationMarker:
        """Read the marker at ``path``; a missing or unreadable marker is empty."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        files = raw.get("files") if isinstance(raw, dict) else None
        if not isinstance(files, dict):
            return cls(path)
        entries = {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, dict)}
        return cls(path, entries)

    def is_verified(self, model_file: ModelFile, st: os.stat_result) -> bool:
        """True if ``model_file`` with stat ``st`` was verified and is unchanged since."""
        entry = self.entries.get(model_file.path)
        return (
            entry is not None
            and entry.get("sha256") == model_file.sha256
            and entry.get("stat") == stat_key(st)
            and st.st_size == model_file.size
        )

    def record(self, model_file: ModelFile, st: os.stat_result) -> None:
        """Note that ``model_file`` with stat ``st`` matched its sha256."""
        self.entries[model_file.path] = {"sha256": model_file.sha256, "stat": stat_key(st)}

    def forget(self, model_file: ModelFile) -> None:
        """Drop any record of ``model_file``."""
        self.entries.pop(model_file.path, None)

    def save(self) -> None:
        """Write the marker atomically; failures (read-only cache, full disk) are ignored."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = json.dumps({"files": self.entries}, indent=1, sort_keys=True)
        try:
            tmp.write_text(payload, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
