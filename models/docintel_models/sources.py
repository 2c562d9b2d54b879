"""Where model files come from: the Hugging Face hub or a local mirror.

A source is chosen from, in order: the ``source`` argument (CLI ``--mirror``),
the ``DOCINTEL_MODEL_MIRROR`` environment variable, else the hub. Accepted
values:

* ``hf`` or ``hub``: the Hugging Face hub (``HF_ENDPOINT``, ``HF_TOKEN``).
* a directory path or ``file://`` URL: a mirror directory.
* an ``http://`` or ``https://`` base URL: a mirror served over HTTP.

Mirrors may use any of the layouts :func:`source_base.mirror_candidates` lists.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse
from urllib.request import url2pathname

from .errors import ModelError, SourceUnavailableError, TransferInterruptedError
from .http_source import HttpMirrorSource, HubSource
from .manifest import ModelFile, ModelSpec
from .source_base import MIRROR_ENV, Source, Transfer, mirror_candidates

HUB_ALIASES = ("hf", "hub")
CHUNK_SIZE = 1024 * 1024


class DirectorySource:
    """A mirror directory on a local or mounted filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def description(self) -> str:
        """The mirror directory's path."""
        return str(self.root)

    def has(self, spec: ModelSpec) -> bool:
        """Whether the mirror holds every file of ``spec`` (in any of the mirror layouts)."""
        return all(
            any((self.root / rel).is_file() for rel in mirror_candidates(spec, model_file)) for model_file in spec.files
        )

    @contextlib.contextmanager
    def open(self, spec: ModelSpec, model_file: ModelFile, offset: int) -> Iterator[Transfer]:
        """Open the mirror's copy of ``model_file`` and continue reading at ``offset``."""
        if not self.root.is_dir():
            raise SourceUnavailableError(self.description, "mirror directory does not exist")
        if next(self.root.iterdir(), None) is None:
            raise SourceUnavailableError(
                self.description,
                "mirror directory is empty: mount the model's files there (deploy/README.md, the model image), "
                "or choose another source",
            )
        candidates = [self.root / rel for rel in mirror_candidates(spec, model_file)]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            tried = ", ".join(str(c) for c in candidates)
            raise SourceUnavailableError(self.description, f"{model_file.path} not found (looked for {tried})")
        try:
            fh = found.open("rb")
        except OSError as exc:
            raise SourceUnavailableError(str(found), exc.strerror or str(exc)) from exc
        with fh:
            fh.seek(offset)
            yield Transfer(offset=offset, origin=str(found), chunks=_read_chunks(fh, found))

    def close(self) -> None:
        """Nothing to release for a directory."""


def _read_chunks(fh: BinaryIO, path: Path) -> Iterator[bytes]:
    while True:
        try:
            chunk = fh.read(CHUNK_SIZE)
        except OSError as exc:
            raise TransferInterruptedError(str(path), f"read failed: {exc}") from exc
        if not chunk:
            return
        yield chunk


def source_from_string(value: str | None) -> Source:
    """Build a source from a ``--mirror``/``source=`` value (None or ``hf``: the hub)."""
    if value is None or value.strip().lower() in ("", *HUB_ALIASES):
        return HubSource.from_env()
    try:
        parsed = urlparse(value)
    except ValueError as exc:  # its message names the bad part, never the credentials
        raise ModelError(f"the model source URL is not valid ({exc}); fix --mirror or {MIRROR_ENV}") from None
    scheme = parsed.scheme.lower()
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ModelError(f"file:// URL {value!r} must name a local path")
        return DirectorySource(Path(url2pathname(parsed.path)))
    if scheme in ("http", "https"):
        return HttpMirrorSource(value)
    if "://" in value:
        raise ModelError(f"unsupported model source {value!r}: use a path, file://, http(s)://")
    return DirectorySource(Path(value).expanduser())


def resolve_source(source: str | None) -> Source:
    """Pick the source: ``source`` if given, else ``$DOCINTEL_MODEL_MIRROR``, else the hub."""
    if source is None:
        source = os.environ.get(MIRROR_ENV) or None
    return source_from_string(source)
