"""Writes an OCI image index layout: one image per platform, and the index that lists them.

    image_index.py --spec SPEC.json --output DIR --digest FILE

SPEC.json:

    {
      "images": ["path/to/amd64/layout", "path/to/arm64/layout"],
      "annotations": {"org.opencontainers.image.source": "..."}
    }

Each input is an image layout (oci_image's output) holding one image. The
output layout holds every blob of every image once, the index (its manifest
list names each image's manifest with the platform of its config, in the
order given), and index.json pointing at the index, so the index has a digest
of its own to push and tag by. Two images for one platform are an error.
Same inputs, same bytes: the index digest depends on the images' digests only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from oci_layout import INDEX_TYPE, Descriptor, Layout, LayoutError, canonical_json, platform_name

_PLATFORM_KEYS = ("os", "architecture", "variant")


def image_entry(image: Layout) -> Descriptor:
    """The index entry of a one-image layout: its manifest descriptor with its config's platform."""
    config = image.config()
    platform = {key: str(config[key]) for key in _PLATFORM_KEYS if config.get(key)}
    if "os" not in platform or "architecture" not in platform:
        raise LayoutError(f"the image config of {image.path} names no os and architecture; build it with oci_image")
    manifest = image.manifest_descriptor()
    return Descriptor(manifest.media_type, manifest.digest, manifest.size, platform=platform)


def copy_blobs(image: Layout, out: Layout) -> None:
    """Copies an image's manifest, config and layers into `out`."""
    manifest = image.manifest()
    wanted = [image.manifest_descriptor(), Descriptor.from_json(manifest["config"], "config")]
    wanted += image.layers()
    for descriptor in wanted:
        out.put_file(image.blob(descriptor), descriptor.digest)


def build(spec: dict[str, Any], output: Path) -> str:
    """Writes the index layout; returns the index digest."""
    out = Layout.create(output)
    entries: list[Descriptor] = []
    seen: dict[str, Path] = {}
    for path in spec["images"]:
        image = Layout(Path(path))
        entry = image_entry(image)
        name = platform_name(entry.platform)
        if name in seen:
            raise LayoutError(f"{seen[name]} and {path} are both for {name}; give one image per platform")
        seen[name] = image.path
        copy_blobs(image, out)
        entries.append(entry)
    index: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [entry.to_json() for entry in entries],
    }
    if spec.get("annotations"):
        index["annotations"] = spec["annotations"]
    descriptor = out.put(INDEX_TYPE, canonical_json(index))
    out.write_index([descriptor])
    return descriptor.digest


def main(argv: list[str]) -> int:
    """Builds the index layout the spec describes and writes its digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--digest", type=Path, required=True, help="file to write the index digest to")
    args = parser.parse_args(argv)
    try:
        digest = build(json.loads(args.spec.read_text()), args.output)
    except LayoutError as error:
        print(f"image_index.py: {error}", file=sys.stderr)
        return 1
    args.digest.write_text(digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
