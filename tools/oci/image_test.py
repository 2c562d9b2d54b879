"""Tests of image.py (an image's metadata from layer descriptors) and image_layout.py (its layout)."""

from __future__ import annotations

import hashlib
import json
import tempfile
import unittest
from pathlib import Path

import image
import image_layout
from image_metadata import ImageMetadata
from oci_layout import GZIP_LAYER_TYPE, Layout, LayoutError

# The digest the layout-writing image.py of commit 620b463 gave for TopImage's
# inputs: splitting metadata from layout must not move a digest.
GOLDEN_TOP_DIGEST = "sha256:02b57e0d097966d0a6339700779ae7b0cda5ae9b4dfaf2b12f6e1cd9f73ac76e"


def _layer(directory: Path, name: str, data: bytes) -> dict[str, str]:
    """A built layer as oci_layer leaves it: the blob and its descriptor; the spec entry naming both."""
    blob = directory / f"{name}.tar.gz"
    blob.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    descriptor = {
        "mediaType": GZIP_LAYER_TYPE,
        "digest": digest,
        "size": len(data),
        "diffID": "sha256:" + hashlib.sha256(b"diff " + data).hexdigest(),
        "name": name,
        "uncompressedSize": 2 * len(data),
    }
    (directory / f"{name}.json").write_text(json.dumps(descriptor))
    return {"descriptor": str(directory / f"{name}.json"), "blob": str(blob), "label": f"//images:{name}"}


class ImageTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.tmp = Path(self._tmp.name)
        self.layers = {name: _layer(self.tmp, name, name.encode() * 1000) for name in ("os", "app", "extra")}

    def metadata(self, name: str, spec: dict[str, object]) -> tuple[str, image.Outputs]:
        outputs = image.Outputs(
            self.tmp / f"{name}.manifest.json", self.tmp / f"{name}.config.json", self.tmp / f"{name}.blobs.json"
        )
        full = {"label": f"//images:{name}", "layout": str(self.tmp / name), **spec}
        return image.build(full, outputs), outputs

    def base_and_top(self, top: str = "top") -> tuple[image.Outputs, str, image.Outputs]:
        _, base = self.metadata("base", {"layers": [self.layers["os"]], "config": {"User": "65532", "Env": ["A=0"]}})
        base_spec = {"manifest": str(base.manifest), "config": str(base.config), "blobs": str(base.blobs)}
        digest, outputs = self.metadata(
            top,
            {
                "base": base_spec,
                "layers": [self.layers["app"], self.layers["extra"]],
                "config": {"Env": ["A=1", "B=2"]},
                "annotations": {"org.opencontainers.image.source": "test"},
            },
        )
        return base, digest, outputs

    def test_digest_is_the_manifest_hash_and_does_not_move(self) -> None:
        _, digest, top = self.base_and_top()
        self.assertEqual(digest, "sha256:" + hashlib.sha256(top.manifest.read_bytes()).hexdigest())
        self.assertEqual(self.base_and_top("again")[1], digest)
        self.assertEqual(digest, GOLDEN_TOP_DIGEST)

    def test_manifest_and_config_stack_the_base(self) -> None:
        _, _, top = self.base_and_top()
        manifest = json.loads(top.manifest.read_bytes())
        config = json.loads(top.config.read_bytes())
        digests = [json.loads(Path(self.layers[n]["descriptor"]).read_text())["digest"] for n in ("os", "app", "extra")]
        self.assertEqual([layer["digest"] for layer in manifest["layers"]], digests)
        self.assertEqual(manifest["config"]["digest"], "sha256:" + hashlib.sha256(top.config.read_bytes()).hexdigest())
        self.assertEqual(config["config"], {"User": "65532", "Env": ["A=1", "B=2"]})
        self.assertEqual(len(config["rootfs"]["diff_ids"]), 3)

    def test_blob_list_names_every_blob_and_its_file(self) -> None:
        _, digest, top = self.base_and_top()
        metadata = ImageMetadata.read(top.blobs)
        manifest = json.loads(top.manifest.read_bytes())
        self.assertEqual(metadata.manifest.digest, digest)
        self.assertEqual(
            [blob.descriptor.digest for blob in metadata.blobs],
            [manifest["config"]["digest"]] + [layer["digest"] for layer in manifest["layers"]],
        )
        self.assertEqual([blob.label for blob in metadata.blobs][1:], ["//images:os", "//images:app", "//images:extra"])
        self.assertEqual(metadata.blobs[0].file, "top.config.json")
        for blob in metadata.blobs:
            data = metadata.local_file(blob).read_bytes()
            self.assertEqual("sha256:" + hashlib.sha256(data).hexdigest(), blob.descriptor.digest)
            self.assertEqual(len(data), blob.descriptor.size)

    def test_layout_holds_every_blob_and_the_same_digest(self) -> None:
        _, digest, top = self.base_and_top()
        self.assertEqual(image_layout.assemble(top.manifest, top.blobs, self.tmp / "top"), digest)
        layout = Layout(self.tmp / "top")
        self.assertEqual(layout.manifest_descriptor().digest, digest)
        self.assertEqual(len(layout.blobs()), 5)  # config, three layers, manifest
        for layer in layout.layers():
            layout.blob(layer)
        self.assertEqual(ImageMetadata.read(top.blobs).layout_file(layout.layers()[0]), layout.blob(layout.layers()[0]))

    def test_layout_refuses_a_blob_of_the_wrong_size(self) -> None:
        _, _, top = self.base_and_top()
        Path(self.layers["app"]["blob"]).write_bytes(b"short")
        with self.assertRaisesRegex(LayoutError, "app.tar.gz is 5 bytes, //images:app's descriptor says 3000"):
            image_layout.assemble(top.manifest, top.blobs, self.tmp / "top")


if __name__ == "__main__":
    unittest.main()
