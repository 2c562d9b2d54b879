"""Writes an OCI image layout: a base image's layers plus new ones, and a config.

    image.py --output DIR --spec SPEC.json

SPEC.json:

    {
      "base": "path/to/base/layout" | null,
      "layers": [{"descriptor": "layer.json", "blob": "layer.tar.gz"}],
      "config": {"Entrypoint": [...], "Cmd": [...], "Env": [...], "User": "...",
                 "WorkingDir": "...", "ExposedPorts": {...}, "Labels": {...}},
      "annotations": {"org.opencontainers.image.source": "..."},
      "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}
    }

"platform" defaults to linux/amd64. Config values given here replace the base's; Env entries are merged by name.
Everything is written with sorted keys and a fixed creation time, so the same
inputs give the same manifest digest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from oci_layout import CONFIG_TYPE, MANIFEST_TYPE, TITLE, Layout, canonical_json

EPOCH = "1970-01-01T00:00:00Z"
# The config's platform when the spec names none (oci_image always names the target platform's).
DEFAULT_PLATFORM = {"os": "linux", "architecture": "amd64"}


def _merge_env(base: list[str], new: list[str]) -> list[str]:
    merged = {item.split("=", 1)[0]: item for item in base}
    merged.update({item.split("=", 1)[0]: item for item in new})
    return list(merged.values())


def build(spec: dict[str, Any], output: Path) -> str:
    """Writes the layout; returns the manifest digest."""
    out = Layout.create(output)
    layers: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    history: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    if spec.get("base"):
        base = Layout(Path(spec["base"]))
        base_manifest, base_config = base.manifest(), base.config()
        layers = base_manifest["layers"]
        diff_ids = base_config["rootfs"]["diff_ids"]
        history = base_config.get("history", [])
        config = base_config.get("config", {})
        for layer in layers:
            out.put_file(base.blob_path(layer["digest"]), layer["digest"])
    for layer in spec["layers"]:
        descriptor = json.loads(Path(layer["descriptor"]).read_text())
        out.put_file(Path(layer["blob"]), descriptor["digest"])
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
        **spec.get("platform", DEFAULT_PLATFORM),
        "created": EPOCH,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": out.put(CONFIG_TYPE, canonical_json(image_config)).to_json(),
        "layers": layers,
    }
    if spec.get("annotations"):
        manifest["annotations"] = spec["annotations"]
    manifest_descriptor = out.put(MANIFEST_TYPE, canonical_json(manifest))
    out.write_index([manifest_descriptor])
    return manifest_descriptor.digest


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
