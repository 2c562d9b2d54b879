"""Each image's SBOM names, for every wheel, the one file its layers installed: the wheel for the
image's platform, with that file's sha256, which requirements_lock.txt pins.

    image_sbom_test.py REQUIREMENTS_LOCK SBOM.spdx.json...

An SBOM of an index's image is named `<name>.linux_amd64.spdx.json` or `<name>.linux_arm64_v8.spdx.json`.
"""

from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path
from typing import Any

from sbom import normalize, read_python_lock

# A wheel for one platform names its machine in its platform tag; a pure-Python one says `any`.
MACHINES = {"linux_amd64": "x86_64", "linux_arm64_v8": "aarch64"}


class ImageSbomTest(unittest.TestCase):
    lock: Path
    sboms: list[Path]

    def test_every_wheel_is_the_installed_file_for_the_platform(self) -> None:
        pinned = read_python_lock(self.lock)
        self.assertEqual({path.name.split(".")[1] for path in self.sboms}, set(MACHINES))
        for path in self.sboms:
            machine = MACHINES[path.name.split(".")[1]]
            wheels = [p for p in _packages(path) if p["SPDXID"].startswith("SPDXRef-PyPI-")]
            self.assertGreater(len(wheels), 10, path.name)
            for wheel in wheels:
                with self.subTest(sbom=path.name, wheel=wheel["name"]):
                    file_name = wheel["packageFileName"]
                    self.assertTrue(file_name.endswith(".whl"), file_name)
                    platform_tag = file_name.removesuffix(".whl").rsplit("-", 1)[1]
                    self.assertTrue(platform_tag == "any" or machine in platform_tag, file_name)
                    [checksum] = wheel["checksums"]
                    version, hashes = pinned[normalize(wheel["name"])]
                    self.assertEqual(wheel["versionInfo"], version)
                    self.assertIn(checksum["checksumValue"], hashes)


def _packages(path: Path) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    packages: list[dict[str, Any]] = document["packages"]
    return packages


if __name__ == "__main__":
    ImageSbomTest.lock = Path(sys.argv[1])
    ImageSbomTest.sboms = [Path(arg) for arg in sys.argv[2:]]
    unittest.main(argv=sys.argv[:1])
