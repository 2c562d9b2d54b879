"""`bazel run //images:push` and `push_<image>` against a real registry (docker-registry on loopback).

What the rules promise: the pushed digests are the build's, `latest` is the
default tag, every image is in before any tag moves, a second push uploads
nothing, a missing --repository is a usage error, and the runner's runfiles
hold each image's metadata, never its layers (tools/oci:push_tool_test covers the
push tool's failures: the cache, wrong bytes, missing blobs, refusals).

Usage (from BUILD.bazel): push_test.py PUSH_BASE PUSH_ALL DIGEST...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any

from local_registry import LocalRegistry
from oci_layout import INDEX_TYPE, MANIFEST_TYPE
from registry_auth import RegistryAuth
from registry_client import Registry

PUSH_BASE, PUSH_ALL, *DIGEST_FILES = (os.path.abspath(arg) for arg in sys.argv[1:])
del sys.argv[1:]
DIGESTS = {Path(file).name.removesuffix(".digest"): Path(file).read_text().strip() for file in DIGEST_FILES}


class ImagesPushTest(unittest.TestCase):
    _tmp: tempfile.TemporaryDirectory[str]
    tmp: Path
    local_registry: LocalRegistry
    address: str
    registry: Registry

    @classmethod
    def setUpClass(cls) -> None:
        cls._tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        cls.tmp = Path(cls._tmp.name)
        cls.local_registry = LocalRegistry.start(cls.tmp / "registry")
        cls.address = cls.local_registry.address
        cls.registry = Registry(cls.address, RegistryAuth({}, "none"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.local_registry.stop()
        cls._tmp.cleanup()

    def run_push(self, runner: str, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        report = self.tmp / "report.json"
        report.unlink(missing_ok=True)
        result = subprocess.run([runner, *args, "--report", str(report)], capture_output=True, text=True, check=False)
        return result, json.loads(report.read_text()) if report.exists() else {}

    def tag(self, repository: str, tag: str) -> str | None:
        return self.registry.manifest_digest(repository, tag, f"{MANIFEST_TYPE}, {INDEX_TYPE}")

    def test_push_one_image_then_again(self) -> None:
        result, report = self.run_push(PUSH_BASE, "--repository", f"{self.address}/one/base", "--tag", "first")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.tag("one/base", "first"), DIGESTS["base"])
        self.assertEqual(self.tag("one/base", "latest"), DIGESTS["base"], "no default tag 'latest'")
        self.assertIn("uploaded", {blob["action"] for blob in report["blobs"]})
        result, report = self.run_push(PUSH_BASE, "--repository", f"{self.address}/one/base", "--tag", "second")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual({blob["action"] for blob in report["blobs"]}, {"present"}, result.stderr)

    def test_push_all_images_before_any_tag_moves(self) -> None:
        result, report = self.run_push(PUSH_ALL, "--repository", f"{self.address}/all", "--tag", "v1")
        self.assertEqual(result.returncode, 0, result.stderr)
        for name, digest in DIGESTS.items():
            self.assertEqual(self.tag(f"all/{name}", "v1"), digest, f"all/{name}:v1 is not the build's {name}")
        lines = result.stderr.splitlines()
        last_push = max(i for i, line in enumerate(lines) if line.startswith("oci_push: pushing "))
        first_tag = min(i for i, line in enumerate(lines) if ":v1 -> " in line)
        self.assertLess(last_push, first_tag, "a tag moved before every image was pushed")
        mounted = [blob for blob in report["blobs"] if blob["action"] == "mounted"]
        self.assertTrue(mounted, "the images' shared layers were not mounted")

    def test_missing_repository_is_a_usage_error(self) -> None:
        result = subprocess.run([PUSH_ALL], capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("missing --repository", result.stderr)

    def test_runfiles_hold_metadata_not_layers(self) -> None:
        runfiles = Path(os.environ["RUNFILES_DIR"])
        spec = json.loads(next(runfiles.rglob("push.push.json")).read_text())
        self.assertEqual(sorted(image["name"] for image in spec["images"]), sorted(DIGESTS))
        for image in spec["images"]:
            if "index" in image:  # base and ml_onnx: each platform's image, then the index
                self.assertTrue((runfiles / image["index"]).is_file())
                self.assertEqual(len({member["blobs"] for member in image["images"]}), 2, "two platforms' files")
            for member in image.get("images", [image]):
                self.assertTrue((runfiles / member["blobs"]).is_file())
        # This test's runfiles are the runners' (its data), so a layer here is a layer in theirs.
        layers = [str(path) for path in (runfiles / "_main" / "images").rglob("*") if ".tar" in path.name]
        layouts = [str(path) for path in (runfiles / "_main" / "images").rglob("oci-layout")]
        self.assertEqual(layers + layouts, [], "layers or layouts in the push runners' runfiles")


if __name__ == "__main__":
    unittest.main()
