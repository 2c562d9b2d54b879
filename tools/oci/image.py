"""Writes an OCI image layout: a base image's layers plus new ones, and a config.

    image.py --output DIR --spec SPEC.json

SPEC.json:

    {
      "base": "path/to/base/layout" | null,
      "layers": [{"descriptor": "layer.json", "blob": "layer.tar.gz"}],
      "config": {"Entrypoint": [...], "Cmd": [...], "Env": [...], "User": "...",
                 "WorkingDir": "...", "ExposedPorts": {...}, "Labels": {...}},
      "annotations": {"org.opencontainers.image.source": "..."}
    }

Config values given here replace the base's; Env entries are merged by name.
Everything is written with sorted keys and a fixed creation time, so the same
inputs give the same manifest digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
TITLE = "org.opencontainers.image.title"
EPOCH = "1970-01-01T00:00:00Z"


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _put_blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def _blob_path(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.removeprefix("sha256:")


def read_image(layout: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and config of the single image in an OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(_blob_path(layout, index["manifests"][0]["digest"]).read_text())
    config = json.loads(_blob_path(layout, manifest["config"]["digest"]).read_text())
    return manifest, config


def _merge_env(base: list[str], new: list[str]) -> list[str]:
    merged = {item.split("=", 1)[0]: item for item in base}
    merged.update({item.split("=", 1)[0]: item for item in new})
    return list(merged.values())


def build(spec: dict[str, Any], output: Path) -> str:
    """Writes the layout; returns the manifest digest."""
    shutil.rmtree(output, ignore_errors=True)
    (output / "blobs" / "sha256").mkdir(parents=True)
    layers: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    history: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    if spec.get("base"):
        base = Path(spec["base"])
        base_manifest, base_config = read_image(base)
        layers = base_manifest["layers"]
        diff_ids = base_config["rootfs"]["diff_ids"]
        history = base_config.get("history", [])
        config = base_config.get("config", {})
        for layer in layers:
            shutil.copyfile(_blob_path(base, layer["digest"]), _blob_path(output, layer["digest"]))
    for layer in spec["layers"]:
        descriptor = json.loads(Path(layer["descriptor"]).read_text())
        shutil.copyfile(layer["blob"], _blob_path(output, descriptor["digest"]))
        layers.append(
            {
                "mediaType": descriptor["mediaType"],
                "digest": descriptor["digest"],
                "size": descriptor["size"],
                "annotations": {TITLE: descriptor["name"]},
            }
        )
        diff_ids.append(descriptor["diffID"])
        history.append({"created": EPOCH, "created_by": "bazel: layer " + descriptor["name"]})
    for key, value in spec.get("config", {}).items():
        config[key] = _merge_env(config.get("Env", []), value) if key == "Env" else value
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "created": EPOCH,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, **_put_blob(output, _canonical(image_config))},
        "layers": layers,
    }
    if spec.get("annotations"):
        manifest["annotations"] = spec["annotations"]
    manifest_descriptor = {"mediaType": MANIFEST_TYPE, **_put_blob(output, _canonical(manifest))}
    (output / "index.json").write_bytes(
        _canonical(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [manifest_descriptor],
            }
        )
    )
    (output / "oci-layout").write_bytes(_canonical({"imageLayoutVersion": "1.0.0"}))
    return str(manifest_descriptor["digest"])


def main(argv: list[str]) -> int:
    """Builds the image layout the spec describes and writes its digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--digest", type=Path, required=True, help="file to write the manifest digest to")
    args = parser.parse_args(argv)
    digest = build(json.loads(args.spec.read_text()), args.output)
    args.digest.write_text(digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
