"""OCI image layouts: the one module our tools read and write them through.

An image layout (the OCI image spec's image-layout) is a directory holding
`oci-layout`, `index.json` and `blobs/sha256/<hex>`. Ours hold one image, or
one image index with an image per platform (oci_image_index): the image is the
manifest index.json's first entry leads to (through nested indexes), or the
one for the platform asked for.

    layout = Layout(path)                          # or Layout(path, platform="linux/arm64")
    layout.manifest(), layout.config(), layout.layers(), layout.blob(descriptor)
    layout.platforms()                             # ["linux/amd64", "linux/arm64/v8"]

    out = Layout.create(path)                     # an empty layout
    config = out.put(CONFIG_TYPE, canonical_json(config_document))
    out.write_index([out.put(MANIFEST_TYPE, canonical_json(manifest))])

Reading checks what it reads: a descriptor needs a sha256 digest and a size,
a blob must be there with that size, and a JSON blob must hash to its digest.
What fails raises LayoutError, whose message says what is wrong and what to do.
Layer blobs are only checked for size here; whoever streams them hashes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
"""An uncompressed layer; the compressed ones add their suffix."""
GZIP_LAYER_TYPE = LAYER_TYPE + "+gzip"
ZSTD_LAYER_TYPE = LAYER_TYPE + "+zstd"
INDEX_TYPES = frozenset({INDEX_TYPE, "application/vnd.docker.distribution.manifest.list.v2+json"})
TITLE = "org.opencontainers.image.title"
LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_REBUILD = "rebuild the image"


class LayoutError(Exception):
    """A layout is missing, incomplete or corrupt; the message says which and what to do."""


def platform_name(platform: Mapping[str, object]) -> str:
    """`os/architecture[/variant]` (`linux/arm64/v8`) of an OCI platform object or image config."""
    parts = [str(platform.get("os", "")), str(platform.get("architecture", ""))]
    variant = platform.get("variant")
    return "/".join([*parts, str(variant)] if variant else parts)


def platform_matches(wanted: str, platform: str) -> bool:
    """Whether `wanted` (`linux/arm64`, `linux/arm64/v8`) names `platform`: without a variant, any variant."""
    return platform == wanted or platform.startswith(wanted + "/")


def canonical_json(value: object) -> bytes:
    """JSON with sorted keys and no spaces: the same value always gives the same bytes (and digest)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a blob is, its digest and its size."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Mapping[str, str] = field(default_factory=dict)

    @property
    def hex(self) -> str:
        """The digest's hex part: the blob's file name."""
        return self.digest.removeprefix("sha256:")

    @property
    def title(self) -> str | None:
        """The `org.opencontainers.image.title` annotation (our layers' names), if any."""
        return self.annotations.get(TITLE)

    def to_json(self) -> dict[str, object]:
        """The descriptor as a JSON object (annotations only when there are some)."""
        document: dict[str, object] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            document["annotations"] = dict(self.annotations)
        if self.platform:
            document["platform"] = dict(self.platform)
        return document

    @classmethod
    def from_json(cls, raw: object, what: str) -> Descriptor:
        """A descriptor from JSON, checked: a sha256 digest and a size >= 0 (`what` names it in errors)."""
        if not isinstance(raw, dict):
            raise LayoutError(f"{what} is not a descriptor object; {_REBUILD}")
        digest, size = raw.get("digest"), raw.get("size")
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise LayoutError(f"{what} has no sha256 digest (got {digest!r}); {_REBUILD}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise LayoutError(f"{what} has no valid size (got {size!r}); {_REBUILD}")
        return cls(str(raw.get("mediaType", "")), digest, size, _strings(raw, "annotations"), _strings(raw, "platform"))


class Layout:
    """An OCI image layout directory holding one image, or an index of one image per platform."""

    def __init__(self, path: Path, platform: str | None = None) -> None:
        """A layout at `path`, whose image for `platform` (else the first) it reads; nothing is read yet."""
        self.path = path
        self.platform = platform

    # --- reading ------------------------------------------------------------------

    def check(self) -> None:
        """Raises unless `path` looks like a layout (a directory with an oci-layout file)."""
        if not self.path.is_dir():
            raise LayoutError("no such directory; build the image or fix the path")
        if not (self.path / "oci-layout").is_file():
            raise LayoutError(
                "not an OCI image layout (no oci-layout file); "
                "pass the directory holding oci-layout, index.json and blobs/"
            )

    def blob_path(self, digest: str) -> Path:
        """Where the blob of `digest` lives (or would live) in this layout."""
        return self.path / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def blob(self, descriptor: Descriptor, what: str = "blob") -> Path:
        """The file of a descriptor's blob, which must exist with the declared size."""
        path = self.blob_path(descriptor.digest)
        if not path.is_file():
            raise LayoutError(
                f"blob {descriptor.digest} of the {what} is missing; the layout is incomplete, {_REBUILD}"
            )
        size = path.stat().st_size
        if size != descriptor.size:
            raise LayoutError(
                f"blob {descriptor.digest} of the {what} is {size} bytes, its descriptor says "
                f"{descriptor.size}; the blob is corrupt, {_REBUILD}"
            )
        return path

    def read_json(self, descriptor: Descriptor, what: str) -> dict[str, Any]:
        """A JSON object blob (a manifest, config or index), checked against its digest."""
        path = self.blob(descriptor, what)
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if f"sha256:{actual}" != descriptor.digest:
            raise LayoutError(
                f"blob {descriptor.digest} ({path}) does not match its digest (sha256 is {actual}); "
                f"the blob is corrupt, {_REBUILD}"
            )
        return _json_object(data, path.name)

    def index(self) -> dict[str, Any]:
        """index.json as it is."""
        self.check()
        try:
            data = (self.path / "index.json").read_bytes()
        except FileNotFoundError:
            raise LayoutError(f"index.json is missing; not a complete OCI layout, {_REBUILD}") from None
        return _json_object(data, "index.json")

    def manifest_descriptor(self) -> Descriptor:
        """The descriptor of the image manifest: index.json's first entry (or the platform's), through indexes."""
        return self._image()[0]

    def manifest(self) -> dict[str, Any]:
        """The image manifest."""
        return self._image()[1]

    def _image(self) -> tuple[Descriptor, dict[str, Any]]:
        """The image manifest and its descriptor: index.json's first entry, or the platform's, through indexes."""
        document, what, chosen = self.index(), "index.json", False
        while True:
            entries = self._entries(document, what)
            descriptor = entries[0]
            if self.platform is not None and all(entry.platform for entry in entries):
                descriptor, chosen = _for_platform(entries, self.platform, what), True
            document = self.read_json(descriptor, "manifest")
            if document.get("mediaType", descriptor.media_type) not in INDEX_TYPES:
                break
            what = f"index {descriptor.digest}"
        if self.platform is not None and not chosen:
            found = platform_name(self._config(document))
            if not platform_matches(self.platform, found):
                raise LayoutError(f"the image is for {found}, not {self.platform}; ask for {found}")
        return descriptor, document

    def _entries(self, index: dict[str, Any], what: str) -> list[Descriptor]:
        """An index's entries, checked; there must be at least one."""
        manifests = index.get("manifests")
        if not isinstance(manifests, list) or not manifests:
            raise LayoutError(f"{what} lists no manifests; {_REBUILD}")
        return [Descriptor.from_json(raw, f"{what}'s manifests[{n}]") for n, raw in enumerate(manifests)]

    def platforms(self) -> list[str]:
        """The platforms of the layout's images (`linux/amd64`, ...): an index's entries', or the one image's."""
        document, what = self.index(), "index.json"
        while True:
            entries = self._entries(document, what)
            if all(entry.platform for entry in entries):
                return [platform_name(entry.platform) for entry in entries]
            document = self.read_json(entries[0], "manifest")
            if document.get("mediaType", entries[0].media_type) not in INDEX_TYPES:
                return [platform_name(self._config(document))]
            what = f"index {entries[0].digest}"

    def config(self) -> dict[str, Any]:
        """The image config."""
        return self._config(self.manifest())

    def _config(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The config a manifest names."""
        return self.read_json(Descriptor.from_json(manifest.get("config"), "the manifest's config"), "config")

    def layers(self) -> list[Descriptor]:
        """The manifest's layer descriptors, bottom first."""
        layers = self.manifest().get("layers")
        if not isinstance(layers, list):
            raise LayoutError(f"the image manifest has no layers list; {_REBUILD}")
        return [Descriptor.from_json(raw, f"layers[{index}]") for index, raw in enumerate(layers)]

    def blobs(self) -> list[Path]:
        """Every blob file in the layout, by name (an absent layout has none)."""
        directory = self.path / "blobs" / "sha256"
        return sorted(directory.iterdir()) if directory.is_dir() else []

    # --- writing ------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> Layout:
        """An empty layout at `path` (whatever was there is removed)."""
        shutil.rmtree(path, ignore_errors=True)
        (path / "blobs" / "sha256").mkdir(parents=True)
        (path / "oci-layout").write_bytes(canonical_json(LAYOUT_VERSION))
        return cls(path)

    def put(self, media_type: str, data: bytes) -> Descriptor:
        """Stores `data` as a blob; its descriptor."""
        descriptor = Descriptor(media_type, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))
        self.blob_path(descriptor.digest).write_bytes(data)
        return descriptor

    def put_file(self, source: Path, digest: str) -> None:
        """Adds a blob whose digest is known (a built layer, another layout's blob).

        A hard link where it can be (the same bytes, nothing copied: an image
        action then takes a moment instead of copying every layer), else a copy.
        A blob already there stays as it is: the same digest is the same bytes
        (an index's platforms share their pure-Python layers), and the file may
        be a link to another action's output, which must not be written to.
        """
        target = self.blob_path(digest)
        if target.exists():
            return
        try:
            os.link(source.resolve(), target)
        except OSError:
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(source, partial)
            partial.replace(target)

    def write_index(self, manifests: list[Descriptor]) -> None:
        """Writes index.json listing `manifests`."""
        index = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [m.to_json() for m in manifests]}
        (self.path / "index.json").write_bytes(canonical_json(index))


def _for_platform(entries: list[Descriptor], wanted: str, what: str) -> Descriptor:
    """The first index entry whose platform matches `wanted`."""
    for entry in entries:
        if platform_matches(wanted, platform_name(entry.platform)):
            return entry
    have = ", ".join(platform_name(entry.platform) for entry in entries)
    raise LayoutError(f"{what} has no image for {wanted} (it has {have}); ask for one of those")


def _strings(raw: dict[str, Any], key: str) -> dict[str, str]:
    """`raw[key]` as a dict of strings (annotations, platform), or an empty one."""
    value = raw.get(key)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _json_object(data: bytes, name: str) -> dict[str, Any]:
    """`data` parsed as a JSON object."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise LayoutError(f"{name} is not valid JSON ({error}); {_REBUILD}") from None
    if not isinstance(document, dict):
        raise LayoutError(f"{name} is not a JSON object; {_REBUILD}")
    return document
