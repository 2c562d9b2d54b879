"""Tests of image_index.py: an index of one image per platform from their metadata, its layout, and reading one
platform's image back (Layout, load.py)."""

from __future__ import annotations

import hashlib
import json
import tempfile
import unittest
from pathlib import Path

import image
import image_index
import image_layout
import load
from oci_layout import INDEX_TYPE, Layout, LayoutError

AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64", "variant": "v8"}


class IndexTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.digests = {name: self.image(name, platform) for name, platform in (("amd64", AMD64), ("arm64", ARM64))}
        self.spec = {"images": [self.entry("amd64"), self.entry("arm64")]}
        self.index = image_index.build_index(self.spec)
        self.digest = image_index.write_layout(self.spec, self.index, self.tmp / "index")

    def image(self, name: str, platform: dict[str, str]) -> str:
        """An image with no layers for `platform`, as oci_image leaves it: metadata, then layout."""
        outputs = image.Outputs(*(self.tmp / f"{name}.{part}.json" for part in ("manifest", "config", "blobs")))
        spec = {"label": f"//x:{name}", "layout": str(self.tmp / name), "layers": [], "platform": platform}
        digest = image.build(spec, outputs)
        image_layout.assemble(outputs.manifest, outputs.blobs, self.tmp / name)
        return digest

    def entry(self, name: str) -> dict[str, str]:
        files = {part: str(self.tmp / f"{name}.{part}.json") for part in ("manifest", "config")}
        return {**files, "layout": str(self.tmp / name)}

    def test_one_entry_per_platform_in_order(self) -> None:
        self.assertEqual(self.digest, "sha256:" + hashlib.sha256(self.index).hexdigest())
        index = json.loads(self.index)
        self.assertEqual(index["mediaType"], INDEX_TYPE)
        self.assertEqual([entry["platform"] for entry in index["manifests"]], [AMD64, ARM64])
        self.assertEqual([entry["digest"] for entry in index["manifests"]], list(self.digests.values()))
        layout = Layout(self.tmp / "index")
        self.assertEqual(layout.index()["manifests"][0]["digest"], self.digest)
        self.assertEqual(layout.platforms(), ["linux/amd64", "linux/arm64/v8"])

    def test_same_images_same_bytes(self) -> None:
        self.assertEqual(image_index.build_index(json.loads(json.dumps(self.spec))), self.index)

    def test_two_images_for_one_platform_are_refused(self) -> None:
        twice = {"images": [self.entry("amd64"), self.entry("amd64")]}
        with self.assertRaisesRegex(LayoutError, "are both for linux/amd64; give one image per platform"):
            image_index.build_index(twice)

    def test_a_platform_s_image_is_read_back(self) -> None:
        arm64 = Layout(self.tmp / "index", platform="linux/arm64")
        self.assertEqual(arm64.manifest_descriptor().digest, self.digests["arm64"])
        self.assertEqual(arm64.config()["architecture"], "arm64")
        with self.assertRaisesRegex(LayoutError, r"no image for linux/s390x \(it has linux/amd64, linux/arm64/v8\)"):
            Layout(self.tmp / "index", platform="linux/s390x").manifest()
        with self.assertRaisesRegex(LayoutError, "the image is for linux/amd64, not linux/arm64; ask for linux/amd64"):
            Layout(self.tmp / "amd64", platform="linux/arm64").manifest()

    def test_load_picks_the_host_s_platform_or_the_asked_one(self) -> None:
        host = load.open_image(self.tmp / "index", None).config()
        self.assertEqual(f"{host['os']}/{host['architecture']}", load.host_platform())
        self.assertEqual(load.open_image(self.tmp / "index", "linux/arm64").config()["architecture"], "arm64")
        self.assertEqual(load.open_image(self.tmp / "arm64", None).config()["architecture"], "arm64")
        self.assertIn("emulation", load.check_platform({"os": "linux", "architecture": "s390x"}) or "")
        self.assertIsNone(load.check_platform(host))


if __name__ == "__main__":
    unittest.main()
