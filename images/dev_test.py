"""The dev image runs its own test suites: its pytest, the service's unit suite, its shell and mypy.

    dev_test.py IMAGE_LAYOUT

The image is unpacked and its commands run by chroot as its user 65532 with its environment
(no container runtime can run inside the build). The suites import the tests layer's helpers
(tests/support, and loopback_ports from /app/tools/testing through the image's PYTHONPATH).
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from pathlib import Path

from image_root import UnpackedImageTest, image_config

# The service's suite without Redis or a model: what dev can run on its own.
UNIT_SUITE = "cd /app/service && exec python3.11 -m pytest -q -p no:cacheprovider tests/unit"


class DevImageTest(UnpackedImageTest):
    """Runs the unpacked dev image's test tools and suites."""

    def run_to_end(self, *command: str) -> str:
        """`command` in the image; its output (stdout and stderr), failing the test unless it exits 0."""
        process = self.run_in_image(*command, env={}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = process.communicate(timeout=240)
        self.assertEqual(process.returncode, 0, output[-3000:])
        return output

    def test_image_runs_the_local_embedder_with_the_tests_on_its_path(self) -> None:
        env = image_config(self.layout)["Env"]
        self.assertIn("DOCINTEL_EMBEDDER=local", env)
        self.assertIn("PYTHONPATH=/app/service:/app/models:/app/tools/testing", env)

    def test_the_service_unit_suite_passes_in_the_image(self) -> None:
        output = self.run_to_end("/bin/sh", "-c", UNIT_SUITE)
        self.assertRegex(output, r"\d+ passed")
        self.assertNotRegex(output, r"\d+ (failed|error)")

    def test_the_test_servers_import(self) -> None:
        imports = "import tests.support.live_server, tests.support.redis_cluster, loopback_ports; print('imported')"
        self.assertIn("imported", self.run_to_end("/usr/bin/python3.11", "-c", imports))

    def test_mypy_runs_in_the_image(self) -> None:
        self.assertRegex(self.run_to_end("/usr/bin/python3.11", "-m", "mypy", "--version"), r"^mypy \d")


if __name__ == "__main__":
    DevImageTest.layout = Path(sys.argv[1])
    unittest.main(argv=sys.argv[:1])
