"""An image's metadata: what push and the layout need to know without holding the layers.

oci_image writes, next to each image, `<name>.manifest.json` and
`<name>.config.json` (their exact bytes) and `<name>.blobs.json`:

    {
      "image": "//images:ml",
      "manifest": {"mediaType": "...", "digest": "sha256:...", "size": 1234},
      "layout": "ml",
      "blobs": [
        {"mediaType": "...config.v1+json", "digest": "sha256:...", "size": 2345,
         "file": "ml.config.json", "label": "//images:ml"},
        {"mediaType": "...layer.v1.tar+gzip", "digest": "sha256:...", "size": 13400000,
         "file": "debian.tar.gz", "label": "//images:debian"}
      ]
    }

`blobs` lists every blob the manifest names (config first, then the layers,
bottom first); `file` is where the build writes that blob and `layout` the
image's layout directory, both relative to the directory of blobs.json (so
they hold in the execution root, a sandbox and a runfiles tree alike). The
blob's digest is also its key in Bazel's content-addressed cache, so a blob
that is not on disk can be found there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from oci_layout import Descriptor, LayoutError


@dataclass(frozen=True)
class Blob:
    """One blob of an image: its descriptor, the build's file for it and the target that makes it."""

    descriptor: Descriptor
    file: str
    label: str

    def to_json(self) -> dict[str, object]:
        """The blobs.json entry."""
        return {**self.descriptor.to_json(), "file": self.file, "label": self.label}


@dataclass(frozen=True)
class ImageMetadata:
    """An image's blobs.json, read from `path`."""

    path: Path
    directory: Path
    image: str
    manifest: Descriptor
    layout: str
    blobs: tuple[Blob, ...]

    @classmethod
    def read(cls, path: Path, *, follow_links: bool = False) -> ImageMetadata:
        """Reads and checks a blobs.json.

        With `follow_links`, the files it names are found next to the file a
        link at `path` leads to: a runfiles tree links to blobs.json, and the
        layers sit next to the real one, in the output tree.
        """
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise LayoutError(f"cannot read the image metadata {path}: {error}; rebuild the image") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("blobs"), list):
            raise LayoutError(f"{path} is not an image's blobs.json; rebuild the image")
        blobs = []
        for index, entry in enumerate(raw["blobs"]):
            what = f"{path}: blobs[{index}]"
            descriptor = Descriptor.from_json(entry, what)
            blobs.append(Blob(descriptor, str(entry.get("file", "")), str(entry.get("label", raw.get("image", "")))))
        manifest = Descriptor.from_json(raw.get("manifest"), f"{path}: manifest")
        directory = Path(os.path.realpath(path) if follow_links else path).parent
        return cls(path, directory, str(raw.get("image", "")), manifest, str(raw.get("layout", "")), tuple(blobs))

    def local_file(self, blob: Blob) -> Path:
        """Where the build writes `blob` (it may not be there)."""
        return self.directory / blob.file

    def layout_file(self, descriptor: Descriptor) -> Path | None:
        """Where the image's layout directory holds the blob (if the layout was built and kept)."""
        if not self.layout:
            return None
        return self.directory / self.layout / "blobs" / "sha256" / descriptor.hex

    def blob(self, digest: str) -> Blob | None:
        """The entry for `digest`, if the image has that blob."""
        return next((blob for blob in self.blobs if blob.descriptor.digest == digest), None)


def relative_file(file: str, metadata: str) -> str:
    """`file` (an execution-root path) relative to the directory of `metadata` (another one)."""
    return os.path.relpath(file, os.path.dirname(metadata) or ".")


def write_metadata(path: Path, *, image: str, manifest: Descriptor, layout: str, blobs: list[Blob]) -> None:
    """Writes a blobs.json."""
    document = {
        "image": image,
        "manifest": manifest.to_json(),
        "layout": layout,
        "blobs": [blob.to_json() for blob in blobs],
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
