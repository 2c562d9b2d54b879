"""Tests of image_index.py: an index of one image per platform, and reading one platform's image back."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import image
import image_index
import load
from oci_layout import INDEX_TYPE, Layout, LayoutError

AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64", "variant": "v8"}


class IndexTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.images: dict[str, str] = {}
        for name, platform in (("amd64", AMD64), ("arm64", ARM64)):
            spec = {"layers": [], "config": {"Entrypoint": ["/app"]}, "platform": platform}
            self.images[name] = image.build(spec, self.tmp / name)
        self.spec = {"images": [str(self.tmp / "amd64"), str(self.tmp / "arm64")]}
        self.digest = image_index.build(self.spec, self.tmp / "index")

    def test_one_entry_per_platform_in_order(self) -> None:
        layout = Layout(self.tmp / "index")
        (top,) = layout.index()["manifests"]
        self.assertEqual(top["digest"], self.digest)
        index = json.loads(layout.blob_path(self.digest).read_bytes())
        self.assertEqual(index["mediaType"], INDEX_TYPE)
        self.assertEqual([entry["platform"] for entry in index["manifests"]], [AMD64, ARM64])
        self.assertEqual([entry["digest"] for entry in index["manifests"]], list(self.images.values()))
        self.assertEqual(layout.platforms(), ["linux/amd64", "linux/arm64/v8"])

    def test_same_images_same_digest(self) -> None:
        again = image_index.build(self.spec, self.tmp / "again")
        self.assertEqual(again, self.digest)

    def test_two_images_for_one_platform_are_refused(self) -> None:
        with self.assertRaisesRegex(LayoutError, "are both for linux/amd64; give one image per platform"):
            image_index.build({"images": [str(self.tmp / "amd64"), str(self.tmp / "amd64")]}, self.tmp / "twice")

    def test_a_platform_s_image_is_read_back(self) -> None:
        arm64 = Layout(self.tmp / "index", platform="linux/arm64")
        self.assertEqual(arm64.manifest_descriptor().digest, self.images["arm64"])
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
