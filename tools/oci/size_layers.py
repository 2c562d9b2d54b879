"""Reads OCI image layouts and measures their layers (the input side of size_report).

An image is an OCI image-spec layout directory: `oci-layout`, `index.json`
whose `manifests[0]` is the image manifest, and `blobs/sha256/<hex>`. A layer
is measured by streaming its blob once: the sha256 of the compressed bytes is
checked, the decompressed tar stream is counted, and the sizes of its regular
files are summed per "package" (see `package_of`).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from layer_stream import LayerStreamError, Readable, decompressed
from oci_layout import Descriptor, Layout, LayoutError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

METRICS = ("compressed", "uncompressed")  # the two sizes of a layer
PROGRESS_BYTES = 20 * 10**6  # layers at least this big (compressed) announce themselves
CHUNK = 1 << 20
_PACKAGE_DIRS = frozenset({"site-packages", "dist-packages"})
_DEBIAN_ROOTS = frozenset({"bin", "boot", "etc", "lib", "lib32", "lib64", "libx32", "sbin", "usr", "var"})
_MODULE_SUFFIXES = (".py", ".so", ".pyd", ".libs")


class InputError(Exception):
    """Invalid input; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class LayerDesc:
    """One layer of an image as its manifest describes it."""

    index: int
    name: str
    digest: str
    media_type: str
    compressed: int
    blob: Path

    @property
    def short_digest(self) -> str:
        """The first 12 hex digits of the digest."""
        return self.digest.split(":", 1)[-1][:12]


@dataclass(frozen=True)
class Image:
    """An image given on the command line (one per platform of an index): name, layout, platform, layers."""

    name: str
    directory: Path
    layers: tuple[LayerDesc, ...]
    platform: str = ""  # an index's images: each one's platform

    @property
    def label(self) -> str:
        """How the report names it: `ml`, or for each image of an index `base (linux/arm64/v8)`.

        The limits go by `name`, so they apply to every platform's image alike.
        """
        return f"{self.name} ({self.platform})" if self.platform else self.name


@dataclass(frozen=True)
class Contents:
    """What streaming a layer found: tar stream size and file bytes per package."""

    uncompressed: int
    packages: dict[str, int]

    def top(self, count: int = 10) -> list[tuple[str, int]]:
        """The `count` largest packages, largest first (ties by name)."""
        return sorted(self.packages.items(), key=lambda item: (-item[1], item[0]))[:count]


# --- layouts -------------------------------------------------------------------


def read_images(name: str, directory: Path) -> list[Image]:
    """Reads the layout at `directory`: its image, or each platform's of an index; every layer blob must be present."""
    try:
        platforms = Layout(directory).platforms()
        if len(platforms) == 1:
            return [Image(name, directory, _layers(Layout(directory)))]
        return [Image(name, directory, _layers(Layout(directory, platform=p)), p) for p in platforms]
    except LayoutError as error:
        raise InputError(f"image {name!r} ({directory}): {error}") from None


def _layers(layout: Layout) -> tuple[LayerDesc, ...]:
    """The image's layers, bottom first."""
    return tuple(_layer(layout, index, descriptor) for index, descriptor in enumerate(layout.layers()))


def _layer(layout: Layout, index: int, descriptor: Descriptor) -> LayerDesc:
    """A layer descriptor resolved to its blob file."""
    name = descriptor.title or descriptor.hex[:12]
    blob = layout.blob(descriptor, f"layer {name!r}")
    return LayerDesc(index, name, descriptor.digest, descriptor.media_type, descriptor.size, blob)


# --- packages --------------------------------------------------------------------


def package_of(path: str) -> str:
    """The package a file belongs to.

    Inside `site-packages/` or `dist-packages/`: the first entry below it, with
    `foo-1.2.dist-info` and `foo.py`/`foo.libs` folded into `foo`. Debian paths
    (under usr/ except usr/local, lib*, bin, sbin, etc, var): the first 3
    directories, e.g. `usr/lib/x86_64-linux-gnu/`. Anything else: the first 2.
    """
    parts = [part for part in path.split("/") if part not in ("", ".")]
    for i, part in enumerate(parts[:-1]):
        if part in _PACKAGE_DIRS:
            return _distribution(parts[i + 1])
    debian = bool(parts) and parts[0] in _DEBIAN_ROOTS and parts[:2] != ["usr", "local"]
    directories = parts[:-1][: 3 if debian else 2]
    return "/".join(directories) + "/" if directories else "/"


def _distribution(entry: str) -> str:
    """`Foo_Bar-1.2.dist-info`, `foo_bar.py`, `foo_bar/` all become `foo_bar`."""
    if entry.endswith((".dist-info", ".egg-info")):
        entry = entry.split("-", 1)[0]
    elif entry.endswith(_MODULE_SUFFIXES):
        entry = entry.split(".", 1)[0]
    return entry.lower().replace("-", "_")


# --- streaming -------------------------------------------------------------------


class _Tap(io.RawIOBase):
    """A readable stream passing `source` through while counting (and hashing) it."""

    def __init__(self, source: Readable, hashing: bool = False) -> None:
        super().__init__()
        self._source = source
        self._hashing = hashing
        self.count = 0
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Fills `buffer` from the source."""
        view = memoryview(buffer)
        data = self._source.read(len(view))
        view[: len(data)] = data
        self.count += len(data)
        if self._hashing:
            self.sha256.update(data)
        return len(data)

    def drain(self) -> None:
        """Reads the source to its end."""
        while self.read(CHUNK):
            pass


def measure(layer: LayerDesc, progress: TextIO | None = None) -> Contents:
    """Streams a layer blob once: verifies its digest, sizes its tar, sums packages."""
    if progress is not None and layer.compressed >= PROGRESS_BYTES:
        print(f"reading layer {layer.name} ({layer.compressed / 10**6:.0f} MB) ...", file=progress, flush=True)
    problem: Exception | None = None
    with layer.blob.open("rb") as blob:
        raw = _Tap(blob, hashing=True)
        tar = _Tap(io.BytesIO())
        packages: dict[str, int] = {}
        try:
            with decompressed(raw, layer.media_type, f"layer {layer.name!r} ({layer.digest})") as stream:
                tar = _Tap(stream)
                packages = _scan_tar(tar)
                tar.drain()
        except LayerStreamError as error:
            raise InputError(str(error)) from None
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            problem = error
        raw.drain()
    if "sha256:" + raw.sha256.hexdigest() != layer.digest:
        raise InputError(
            f"blob {layer.digest} (layer {layer.name!r}, {layer.blob}) does not match its digest "
            f"(sha256 is {raw.sha256.hexdigest()}); the blob is corrupt, rebuild the image"
        )
    if problem is not None:
        raise InputError(
            f"blob {layer.digest} (layer {layer.name!r}) is not a valid {layer.media_type or 'tar'} layer "
            f"({problem}); rebuild the image"
        )
    return Contents(tar.count, packages)


def _scan_tar(stream: _Tap) -> dict[str, int]:
    """Sums regular file sizes per package over a tar stream read in stream mode."""
    sizes: Counter[str] = Counter()
    with tarfile.open(fileobj=io.BufferedReader(stream, CHUNK), mode="r|", bufsize=CHUNK) as archive:
        for member in archive:
            if member.isfile():
                sizes[package_of(member.name)] += member.size
    return dict(sizes)


def measure_all(images: list[Image], progress: TextIO | None = None) -> dict[str, Contents]:
    """Measures every distinct layer once, keyed by digest; big ones are announced on `progress`."""
    contents: dict[str, Contents] = {}
    for image in images:
        for layer in image.layers:
            if layer.digest not in contents:
                contents[layer.digest] = measure(layer, progress)
    return contents
