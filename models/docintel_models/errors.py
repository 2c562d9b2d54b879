"""Exception hierarchy for model fetching.

Every error raised on purpose by this package derives from :class:`ModelError`,
and every message is a single line so that command-line tools can print it as
their one-line reason for failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from .units import human_bytes

MIRROR_HINT = "set DOCINTEL_MODEL_MIRROR to a directory or URL holding the files"


class ModelError(Exception):
    """Root of all errors raised by ``docintel_models``."""


class ManifestError(ModelError):
    """The model manifest is missing, unreadable or invalid."""


class UnknownModelError(ModelError):
    """A model name that the manifest does not list was requested."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        listed = ", ".join(self.known) or "(none)"
        super().__init__(f"unknown model {name!r}; known models: {listed}")


class ChecksumMismatchError(ModelError):
    """A file's content does not match the sha256 (or size) in the manifest."""

    def __init__(
        self,
        path: str,
        *,
        expected_sha256: str,
        actual_sha256: str,
        expected_size: int,
        actual_size: int,
        origin: str,
    ) -> None:
        self.path = path
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256
        self.expected_size = expected_size
        self.actual_size = actual_size
        self.origin = origin
        size_note = "" if expected_size == actual_size else f"; size expected {expected_size} bytes, got {actual_size}"
        super().__init__(
            f"checksum mismatch for {path} from {origin}: expected sha256 "
            f"{expected_sha256}, got {actual_sha256}{size_note}; "
            "the downloaded file was removed"
        )


class SourceUnavailableError(ModelError):
    """The source (hub, mirror directory or URL) cannot provide a file."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"model source {source} unavailable: {reason}; {MIRROR_HINT}")


class TransferInterruptedError(SourceUnavailableError):
    """A transfer broke off midway; the partial file is kept for resuming."""


class DiskFullError(ModelError):
    """The cache volume has no room left for the model files."""

    def __init__(self, path: str, *, needed: int | None, available: int | None) -> None:
        self.path = path
        self.needed = needed
        self.available = available
        free = "unknown" if available is None else human_bytes(available)
        need = "" if needed is None else f"{human_bytes(needed)} ({needed} bytes) more needed, "
        super().__init__(
            f"not enough disk space for {path}: {need}{free} free; partial downloads "
            "are kept and resume once space is freed"
        )
