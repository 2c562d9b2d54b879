"""Writes a tarball that `docker load` and `podman load` accept, from an OCI layout.

    load.py --layout DIR --output TARBALL --repo-tag NAME:TAG [--repo-tag ...]

The tarball is both an OCI image layout (oci-layout, index.json, blobs/) and a
Docker archive (manifest.json naming the config and layer blobs with the repo
tags), so old and new loaders read it. Entries are sorted, owned by root and
dated 0: same image, same bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

from oci_layout import Layout
from tar_header import header

_REF_NAME = "org.opencontainers.image.ref.name"
_CONTAINERD_NAME = "io.containerd.image.name"


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(header(name, size=len(data)), io.BytesIO(data))


def write_tarball(layout: Path, output: Path, repo_tags: list[str]) -> None:
    """Writes the loadable tarball of the single image in `layout`."""
    image = Layout(layout)
    index = image.index()
    manifest = image.manifest()
    descriptor = dict(index["manifests"][0])
    if repo_tags:
        descriptor["annotations"] = {
            _CONTAINERD_NAME: repo_tags[0],
            _REF_NAME: repo_tags[0].rpartition(":")[2],
        }
    docker_manifest = [
        {
            "Config": "blobs/sha256/" + manifest["config"]["digest"][7:],
            "RepoTags": repo_tags,
            "Layers": ["blobs/sha256/" + layer["digest"][7:] for layer in manifest["layers"]],
        }
    ]
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as tar:
        for blob in image.blobs():
            with blob.open("rb") as f:
                tar.addfile(header("blobs/sha256/" + blob.name, size=blob.stat().st_size), f)
        _add_bytes(tar, "index.json", json.dumps({**index, "manifests": [descriptor]}, sort_keys=True).encode())
        _add_bytes(tar, "manifest.json", json.dumps(docker_manifest, sort_keys=True).encode())
        _add_bytes(tar, "oci-layout", (layout / "oci-layout").read_bytes())


def main(argv: list[str]) -> int:
    """Writes the tarball the arguments describe."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--repo-tag", action="append", default=[], dest="repo_tags")
    args = parser.parse_args(argv)
    write_tarball(args.layout, args.output, args.repo_tags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
