"""A layer blob's tar stream, whichever compression its media type names: gzip, zstd or none.

The size tools and the image tests read layers through `decompressed`, so a
layer built with `--config=zstd` reads like a gzip one. gzip is undone in
process; zstd through a `zstd -dc` subprocess (the pinned zstd of
@debian_build_tools, from the runfiles, on its own C library), fed by a thread
so that the source is read to its end even when the reader stops early (the
size tool hashes it).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

import runfiles_tool
from oci_layout import Layout

__all__ = ["LayerStreamError", "Readable", "compression_of", "decompressed", "image_layer_tars", "layer_tar"]

CHUNK = 1 << 20


class Readable(Protocol):
    """What a layer stream is read through: `read(n)`."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        ...


class LayerStreamError(Exception):
    """The layer cannot be read here: a media type no reader knows, or the zstd program is not in the runfiles."""


def compression_of(media_type: str) -> str:
    """`gzip`, `zstd` or `tar` (none) for an OCI or Docker layer media type; `tar` for an empty one."""
    kind = media_type.rsplit("+", 1)[-1].rsplit(".", 1)[-1] if media_type else "tar"
    return "gzip" if kind == "gz" else kind


@contextlib.contextmanager
def decompressed(source: Readable, media_type: str, what: str) -> Iterator[Readable]:
    """The tar bytes of `source` (a blob of `media_type`); `what` names the layer in errors."""
    kind = compression_of(media_type)
    if kind == "gzip":
        with gzip.GzipFile(fileobj=io.BufferedReader(_Raw(source), CHUNK), mode="rb") as stream:
            yield stream
    elif kind == "zstd":
        with _zstd(source, what) as stream:
            yield stream
    elif kind == "tar":
        yield io.BufferedReader(_Raw(source), CHUNK)
    else:
        raise LayerStreamError(
            f"{what} has media type {media_type!r}; only tar, tar+gzip and tar+zstd layers can be read"
        )


@contextlib.contextmanager
def layer_tar(blob: Path, media_type: str, what: str) -> Iterator[tarfile.TarFile]:
    """The layer blob file `blob` (of `media_type`) as a tar read in stream mode: each member once, in order."""
    with (
        blob.open("rb") as raw,
        decompressed(raw, media_type, what) as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,  # type: ignore[call-overload]
    ):
        yield tar


def image_layer_tars(image: Layout) -> Iterator[tarfile.TarFile]:
    """Each layer of `image` as a tar read in stream mode, bottom first (each closed before the next opens)."""
    for layer in image.layers():
        with layer_tar(image.blob(layer, "layer"), layer.media_type, f"layer {layer.digest}") as tar:
            yield tar


class _Raw(io.RawIOBase):
    """`source` as a raw stream, for the buffered readers gzip and tarfile want."""

    def __init__(self, source: Readable) -> None:
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fills `buffer` from the source."""
        view = memoryview(buffer)
        data = self._source.read(len(view))
        view[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def _zstd(source: Readable, what: str) -> Iterator[Readable]:
    """Decompresses through a `zstd -dc` subprocess fed by a thread."""
    try:
        command = runfiles_tool.command("usr/bin/zstd", ["-dc"])
    except runfiles_tool.MissingRunfileError as error:
        raise LayerStreamError(f"{what} is zstd-compressed, and {error}") from None
    with tempfile.TemporaryFile() as errors:
        pipe = subprocess.PIPE
        # The pinned zstd with fixed arguments and no environment; no input reaches the command line.
        process = subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=errors, env={})
        assert process.stdin is not None
        assert process.stdout is not None
        feeder = threading.Thread(target=_feed, args=(source, process.stdin), daemon=True)
        feeder.start()
        try:
            yield process.stdout
        finally:
            process.stdout.close()
            feeder.join()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip().splitlines() or [f"exit {code}"]
            raise OSError(f"zstd: {message[-1]}")


def _feed(source: Readable, sink: IO[bytes]) -> None:
    """Copies `source` into `sink`; reads `source` to its end even if the sink closes first."""
    try:
        while chunk := source.read(CHUNK):
            sink.write(chunk)
    except BrokenPipeError:
        while source.read(CHUNK):
            pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            sink.close()
