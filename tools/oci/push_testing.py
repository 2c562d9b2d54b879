"""Small images for the push tests, written by image.py as an execution root holds them.

    images = SmallImages.build(tmp, {"base": [...], "top": [...]})

The registry the tests push to is local_registry.LocalRegistry; the remote
cache, pinned_nginx.start_cache (tools/cache).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import image
from oci_layout import GZIP_LAYER_TYPE, INDEX_TYPE, MANIFEST_TYPE, canonical_json


@dataclass
class SmallImages:
    """Small images written by image.py into `root`, as an execution root holds them, and a push spec."""

    root: Path
    digests: dict[str, str]
    layers: dict[str, tuple[str, bytes]]  # name -> (digest, bytes)

    @classmethod
    def build(cls, root: Path, images: dict[str, tuple[str | None, list[str]]], salt: str = "") -> SmallImages:
        """`images`: name -> (base image name or None, new layer names); each layer is 200 kB of its own bytes."""
        out = root / "bin"
        out.mkdir(parents=True, exist_ok=True)
        digests: dict[str, str] = {}
        layers: dict[str, tuple[str, bytes]] = {}
        for name, (base, layer_names) in images.items():
            entries = []
            for layer in layer_names:
                data = hashlib.sha256(f"{layer}{salt}".encode()).digest() * 6400
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                layers[layer] = (digest, data)
                (out / f"{layer}.tar.gz").write_bytes(data)
                descriptor = {"mediaType": GZIP_LAYER_TYPE, "digest": digest, "size": len(data), "name": layer}
                descriptor["diffID"] = "sha256:" + hashlib.sha256(b"diff" + data).hexdigest()
                (out / f"{layer}.json").write_text(json.dumps(descriptor))
                entries.append(
                    {
                        "descriptor": str(out / f"{layer}.json"),
                        "blob": str(out / f"{layer}.tar.gz"),
                        "label": f"//images:{layer}",
                    }
                )
            spec = {
                "label": f"//images:{name}",
                "layout": str(out / name),
                "layers": entries,
                "config": {"User": salt or "1"},
            }
            if base:
                spec["base"] = {key: str(out / f"{base}.{key}.json") for key in ("manifest", "config", "blobs")}
            outputs = image.Outputs(
                out / f"{name}.manifest.json", out / f"{name}.config.json", out / f"{name}.blobs.json"
            )
            digests[name] = image.build(spec, outputs)
        return cls(root, digests, layers)

    def spec(self, names: list[str], *, repository: str = "", tags: list[str] | None = None) -> Path:
        """A push spec for `names` (each to REPOSITORY/<name>), its paths relative to `root` (RUNFILES_DIR)."""
        tags_file = None
        if tags is not None:
            (self.root / "tags.txt").write_text("".join(f"{tag}\n" for tag in tags))
            tags_file = "tags.txt"
        return self._write_spec([self._image_entry(n) for n in names], repository=repository, tags_file=tags_file)

    def index_spec(self, name: str, members: list[str], *, listed: list[str] | None = None) -> tuple[Path, str]:
        """A push spec for an index `name` of `members` (linux/amd64, linux/arm64), and the index digest.

        `listed`: the images the index lists, if not `members` (a stale index).
        """
        manifests = []
        for member, architecture in zip(listed or members, ("amd64", "arm64"), strict=False):
            size = (self.root / "bin" / f"{member}.manifest.json").stat().st_size
            platform = {"os": "linux", "architecture": architecture}
            manifests.append(
                {"mediaType": MANIFEST_TYPE, "digest": self.digests[member], "size": size, "platform": platform}
            )
        index = canonical_json({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests})
        (self.root / "bin" / f"{name}.index.json").write_bytes(index)
        entry = {
            "name": name,
            "label": f"//images:{name}",
            "index": f"bin/{name}.index.json",
            "images": [self._image_entry(member) for member in members],
        }
        return self._write_spec([entry]), "sha256:" + hashlib.sha256(index).hexdigest()

    @staticmethod
    def _image_entry(name: str) -> dict[str, str]:
        return {"name": name, "manifest": f"bin/{name}.manifest.json", "blobs": f"bin/{name}.blobs.json"}

    def _write_spec(self, images: list[dict[str, Any]], *, repository: str = "", tags_file: str | None = None) -> Path:
        document = {
            "label": "//images:push",
            "repository": repository,
            "repository_attribute": repository,
            "tags_file": tags_file,
            "stable_status": None,
            "images": images,
        }
        path = self.root / "push.json"
        path.write_text(json.dumps(document))
        return path

    def remove_layer(self, layer: str) -> None:
        """Takes a layer's local output away (as --remote_download_minimal leaves it)."""
        (self.root / "bin" / f"{layer}.tar.gz").unlink()
