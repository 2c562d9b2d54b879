"""Writes an image's manifest, config and blob list from a base image's metadata and new layers.

    image.py --spec SPEC.json --manifest OUT --config OUT --blobs OUT --digest OUT

SPEC.json:

    {
      "label": "//images:ml",
      "layout": "bazel-out/.../images/ml",
      "base": {"manifest": "...", "config": "...", "blobs": "..."} | null,
      "layers": [{"descriptor": "layer.json", "blob": "layer.tar.gz", "label": "//images:torch"}],
      "config": {"Entrypoint": [...], "Cmd": [...], "Env": [...], "User": "...",
                 "WorkingDir": "...", "ExposedPorts": {...}, "Labels": {...}},
      "annotations": {"org.opencontainers.image.source": "..."},
      "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}
    }

Only the layers' descriptors are read, never their blobs: the image's digest
is known without its layers on disk (image_layout.py assembles the layout
directory when someone wants it). "platform" defaults to linux/amd64.
Config values given here replace the base's; Env entries are merged by name. Everything is written with sorted keys
and a fixed creation time, so the same inputs give the same manifest digest.
The blob list (--blobs) is image_metadata.py's blobs.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from image_metadata import Blob, ImageMetadata, relative_file, write_metadata
from oci_layout import CONFIG_TYPE, MANIFEST_TYPE, TITLE, Descriptor, canonical_json

EPOCH = "1970-01-01T00:00:00Z"
# The config's platform when the spec names none (oci_image always names the target platform's).
DEFAULT_PLATFORM = {"os": "linux", "architecture": "amd64"}


def _merge_env(base: list[str], new: list[str]) -> list[str]:
    merged = {item.split("=", 1)[0]: item for item in base}
    merged.update({item.split("=", 1)[0]: item for item in new})
    return list(merged.values())


def _descriptor(media_type: str, data: bytes) -> Descriptor:
    return Descriptor(media_type, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))


class Outputs:
    """Where the action writes: the manifest, config and blob list (blobs.json) files."""

    def __init__(self, manifest: Path, config: Path, blobs: Path) -> None:
        """The three output paths (execution-root relative, as Bazel passes them)."""
        self.manifest, self.config, self.blobs = manifest, config, blobs

    def relative(self, file: str) -> str:
        """An execution-root path as blobs.json records it: relative to blobs.json's directory."""
        return relative_file(file, str(self.blobs))


def build(spec: dict[str, Any], out: Outputs) -> str:
    """Writes the manifest, config and blob list; returns the manifest digest."""
    layers: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    history: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    blobs: list[Blob] = []
    base = spec.get("base")
    if base:
        base_manifest = json.loads(Path(base["manifest"]).read_bytes())
        base_config = json.loads(Path(base["config"]).read_bytes())
        layers = base_manifest["layers"]
        diff_ids = base_config["rootfs"]["diff_ids"]
        history = base_config.get("history", [])
        config = base_config.get("config", {})
        base_blobs = ImageMetadata.read(Path(base["blobs"]))
        for layer in layers:
            blob = base_blobs.blob(layer["digest"])
            if blob is None:
                raise SystemExit(f"image.py: the base's blobs.json lacks layer {layer['digest']}; rebuild the base")
            blobs.append(Blob(blob.descriptor, out.relative(str(base_blobs.local_file(blob))), blob.label))
    for layer in spec["layers"]:
        descriptor = json.loads(Path(layer["descriptor"]).read_text())
        entry = {
            "mediaType": descriptor["mediaType"],
            "digest": descriptor["digest"],
            "size": descriptor["size"],
            "annotations": {TITLE: descriptor["name"]},
        }
        layers.append(entry)
        blobs.append(Blob(Descriptor.from_json(entry, layer["blob"]), out.relative(layer["blob"]), layer["label"]))
        diff_ids.append(descriptor["diffID"])
        history.append({"created": EPOCH, "created_by": "bazel: layer " + descriptor["name"]})
    for key, value in spec.get("config", {}).items():
        config[key] = _merge_env(config.get("Env", []), value) if key == "Env" else value
    image_config = {
        **spec.get("platform", DEFAULT_PLATFORM),
        "created": EPOCH,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_bytes = canonical_json(image_config)
    config_descriptor = _descriptor(CONFIG_TYPE, config_bytes)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": config_descriptor.to_json(),
        "layers": layers,
    }
    if spec.get("annotations"):
        manifest["annotations"] = spec["annotations"]
    manifest_bytes = canonical_json(manifest)
    manifest_descriptor = _descriptor(MANIFEST_TYPE, manifest_bytes)
    out.config.write_bytes(config_bytes)
    out.manifest.write_bytes(manifest_bytes)
    blobs.insert(0, Blob(config_descriptor, out.relative(str(out.config)), spec["label"]))
    write_metadata(
        out.blobs,
        image=spec["label"],
        manifest=manifest_descriptor,
        layout=out.relative(spec["layout"]),
        blobs=blobs,
    )
    return manifest_descriptor.digest


def main(argv: list[str]) -> int:
    """Writes the metadata of the image the spec describes, and its digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True, help="file to write the manifest to")
    parser.add_argument("--config", type=Path, required=True, help="file to write the config to")
    parser.add_argument("--blobs", type=Path, required=True, help="file to write the blob list (blobs.json) to")
    parser.add_argument("--digest", type=Path, required=True, help="file to write the manifest digest to")
    args = parser.parse_args(argv)
    digest = build(json.loads(args.spec.read_text()), Outputs(args.manifest, args.config, args.blobs))
    args.digest.write_text(digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
