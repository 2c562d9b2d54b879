"""The tarball `docker load` and `podman load` accept, written from an OCI layout.

    docker_archive.py --layout DIR --output TARBALL --repo-tag NAME:TAG [--repo-tag ...]

The whole tarball is both an OCI image layout (oci-layout, index.json, blobs/)
and a Docker archive (manifest.json naming the config and layer blobs with the
repo tags), so old and new loaders read it. Entries are sorted, owned by root
and dated 0: same image, same bytes. oci_load's `tarball` output group is this
file; its runner streams one to `docker load` (engines.py), and there it may
leave out the layers the engine already has: Docker's classic image store
looks a layer up by its chain of diff IDs before it opens the file named for it.

Of an image index, the tarball holds one image: the one the Layout it is given
reads. From the command line (oci_load's `tarball`) that is the index's first
image, whatever the machine, so the output is the same everywhere; load.py
asks for the host's platform (or --platform's) instead.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import IO

from oci_layout import Descriptor, Layout
from tar_header import header

_REF_NAME = "org.opencontainers.image.ref.name"
_CONTAINERD_NAME = "io.containerd.image.name"


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(header(name, size=len(data)), io.BytesIO(data))


def _blob_name(descriptor: Descriptor) -> str:
    return "blobs/sha256/" + descriptor.hex


def write(
    image: Layout,
    out: IO[bytes],
    repo_tags: list[str],
    *,
    only_layers: Collection[str] | None = None,
    progress: Callable[[Descriptor], None] | None = None,
) -> None:
    """Writes the loadable tarball of the single image in `image` to `out` (a file or a pipe).

    With `only_layers` (layer digests), the other layers' blobs are left out
    and so is the OCI part (a loader reading index.json would miss them): only
    Docker's classic store takes such an archive. `progress` is called before
    each layer blob goes out.
    """
    manifest_descriptor = image.manifest_descriptor()
    config = Descriptor.from_json(image.manifest().get("config"), "the manifest's config")
    layers = image.layers()
    docker_manifest = [
        {
            "Config": _blob_name(config),
            "RepoTags": repo_tags,
            "Layers": [_blob_name(layer) for layer in layers],
        }
    ]
    partial = only_layers is not None
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        blobs = [config, *layers] if partial else [config, *layers, manifest_descriptor]
        for blob in sorted(blobs, key=_blob_name):
            if only_layers is not None and blob in layers and blob.digest not in only_layers:
                continue
            if progress is not None and blob in layers:
                progress(blob)
            path = image.blob(blob)
            with path.open("rb") as f:
                tar.addfile(header(_blob_name(blob), size=path.stat().st_size), f)
        if not partial:
            descriptor = manifest_descriptor.to_json()
            if repo_tags:
                descriptor["annotations"] = {_CONTAINERD_NAME: repo_tags[0], _REF_NAME: repo_tags[0].rpartition(":")[2]}
            index = {**image.index(), "manifests": [descriptor]}
            _add_bytes(tar, "index.json", json.dumps(index, sort_keys=True).encode())
        _add_bytes(tar, "manifest.json", json.dumps(docker_manifest, sort_keys=True).encode())
        if not partial:
            _add_bytes(tar, "oci-layout", (image.path / "oci-layout").read_bytes())


def main(argv: list[str]) -> int:
    """Writes the tarball the arguments describe."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--layout", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--repo-tag", action="append", default=[], dest="repo_tags")
    args = parser.parse_args(argv)
    with args.output.open("wb") as out:
        write(Layout(args.layout), out, args.repo_tags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
