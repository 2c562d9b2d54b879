"""Writes an OCI image index: one image per platform, from the images' metadata; and its layout.

    image_index.py --spec SPEC.json --index OUT.json --digest OUT [--layout DIR]

SPEC.json:

    {
      "images": [{"manifest": "amd64/base.manifest.json", "config": "amd64/base.config.json",
                  "layout": "amd64/base"}, ...],
      "annotations": {"org.opencontainers.image.source": "..."}
    }

The index (--index, its exact bytes) lists each image's manifest with the
platform of its config, in the order given; only the manifests and configs
are read (oci_image's metadata), so the index digest is known without any
layer on disk, and a push (tools/oci/push.py) needs nothing more. With
--layout it also writes an OCI image layout holding every blob of every image
once and index.json pointing at the index (from each image's layout). Two
images for one platform are an error. Same images, same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from oci_layout import INDEX_TYPE, MANIFEST_TYPE, Descriptor, Layout, LayoutError, canonical_json, platform_name

_PLATFORM_KEYS = ("os", "architecture", "variant")


def image_entry(manifest: Path, config: Path) -> Descriptor:
    """The index entry of one image: its manifest's descriptor with its config's platform."""
    data = manifest.read_bytes()
    image_config = json.loads(config.read_bytes())
    platform = {key: str(image_config[key]) for key in _PLATFORM_KEYS if image_config.get(key)}
    if "os" not in platform or "architecture" not in platform:
        raise LayoutError(f"the image config {config} names no os and architecture; build the image with oci_image")
    media_type = str(json.loads(data).get("mediaType") or MANIFEST_TYPE)
    return Descriptor(media_type, "sha256:" + hashlib.sha256(data).hexdigest(), len(data), platform=platform)


def build_index(spec: dict[str, Any]) -> bytes:
    """The index's bytes."""
    entries: list[Descriptor] = []
    seen: dict[str, str] = {}
    for image in spec["images"]:
        entry = image_entry(Path(image["manifest"]), Path(image["config"]))
        name = platform_name(entry.platform)
        if name in seen:
            raise LayoutError(f"{seen[name]} and {image['manifest']} are both for {name}; give one image per platform")
        seen[name] = image["manifest"]
        entries.append(entry)
    index: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [entry.to_json() for entry in entries],
    }
    if spec.get("annotations"):
        index["annotations"] = spec["annotations"]
    return canonical_json(index)


def write_layout(spec: dict[str, Any], index: bytes, output: Path) -> str:
    """Writes the layout of the index and every image's blobs; returns the index digest."""
    out = Layout.create(output)
    for image in spec["images"]:
        layout = Layout(Path(image["layout"]))
        manifest = layout.manifest_descriptor()
        wanted = [manifest, Descriptor.from_json(layout.manifest()["config"], "config"), *layout.layers()]
        for descriptor in wanted:
            out.put_file(layout.blob(descriptor), descriptor.digest)
    descriptor = out.put(INDEX_TYPE, index)
    out.write_index([descriptor])
    return descriptor.digest


def main(argv: list[str]) -> int:
    """Writes the index the spec describes, its digest and (with --layout) its layout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="file to write the index to (its exact bytes)")
    parser.add_argument("--digest", type=Path, help="file to write the index digest to")
    parser.add_argument("--layout", type=Path, help="directory to write the layout to")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    try:
        index = build_index(spec)
        if args.layout:
            write_layout(spec, index, args.layout)
    except LayoutError as error:
        print(f"image_index.py: {error}", file=sys.stderr)
        return 1
    if args.index:
        args.index.write_bytes(index)
    if args.digest:
        args.digest.write_text("sha256:" + hashlib.sha256(index).hexdigest() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
