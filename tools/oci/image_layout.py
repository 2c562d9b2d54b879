"""Assembles an image's OCI layout directory from its metadata and the built blobs.

    image_layout.py --manifest MANIFEST.json --blobs BLOBS.json --output DIR

MANIFEST.json and BLOBS.json are what image.py wrote; every blob BLOBS.json
lists (the config and each layer) is copied from the file it names, after a
check of its size. The layout holds the manifest and an index.json naming it,
byte for byte as image.py computed them, so its digest is the image's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from image_metadata import ImageMetadata
from oci_layout import MANIFEST_TYPE, Layout, LayoutError


def assemble(manifest: Path, blobs: Path, output: Path) -> str:
    """Writes the layout; returns the manifest digest."""
    metadata = ImageMetadata.read(blobs)
    out = Layout.create(output)
    for blob in metadata.blobs:
        source = metadata.local_file(blob)
        size = source.stat().st_size
        if size != blob.descriptor.size:
            raise LayoutError(
                f"{source} is {size} bytes, {blob.label}'s descriptor says {blob.descriptor.size}; rebuild it"
            )
        out.put_file(source, blob.descriptor.digest)
    descriptor = out.put(MANIFEST_TYPE, manifest.read_bytes())
    if descriptor.digest != metadata.manifest.digest:
        raise LayoutError(f"{manifest} is not the manifest {blobs} names ({metadata.manifest.digest}); rebuild")
    out.write_index([descriptor])
    return descriptor.digest


def main(argv: list[str]) -> int:
    """Assembles the layout of the image whose metadata is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, required=True, help="the image's manifest (image.py)")
    parser.add_argument("--blobs", type=Path, required=True, help="the image's blobs.json (image.py)")
    parser.add_argument("--output", type=Path, required=True, help="the layout directory to write")
    args = parser.parse_args(argv)
    try:
        assemble(args.manifest, args.blobs, args.output)
    except LayoutError as error:
        print(f"image_layout.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
