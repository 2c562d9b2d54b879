"""What every model source implements, and the layouts a mirror may use.

``sources.py`` picks a source; its ``DirectorySource`` and ``http_source``'s
classes implement :class:`Source`. A mirror (a directory or an HTTP base URL)
holds each model's files in any of these layouts, tried in order per file::

    <mirror>/<name>/<revision>/<files>   (a copy of a cache directory)
    <mirror>/<name>/<files>
    <mirror>/<files>                     (a single model's files)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from .manifest import ModelFile, ModelSpec

# The environment variable naming the mirror when no source is given.
MIRROR_ENV = "DOCINTEL_MODEL_MIRROR"


@dataclass
class Transfer:
    """An open transfer of one file.

    ``offset`` is where the delivered bytes start: the offset asked for, or 0
    when the source cannot resume. ``origin`` names the exact path or URL.
    Iterating ``chunks`` raises :class:`TransferInterruptedError` if the
    transfer breaks off midway.
    """

    offset: int
    origin: str
    chunks: Iterator[bytes]


class Source(Protocol):
    """Something that can deliver a model file from a given byte offset."""

    @property
    def description(self) -> str:
        """Human-readable name of the source (path or URL) for messages."""
        ...

    def open(self, spec: ModelSpec, model_file: ModelFile, offset: int) -> contextlib.AbstractContextManager[Transfer]:
        """Open ``model_file`` of ``spec`` starting at ``offset`` bytes."""
        ...

    def close(self) -> None:
        """Release connections or handles held by the source."""
        ...


def mirror_candidates(spec: ModelSpec, model_file: ModelFile) -> list[str]:
    """Relative locations of ``model_file`` in a mirror, in the order tried."""
    return [
        f"{spec.name}/{spec.revision}/{model_file.path}",
        f"{spec.name}/{model_file.path}",
        model_file.path,
    ]
