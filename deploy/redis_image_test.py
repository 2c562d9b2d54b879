"""The Redis image is complete: its binaries find every library inside the image,
and its redis-server answers vector-set commands and writes an AOF.

    redis_image_test.py IMAGE_LAYOUT

The image's file system is unpacked from the layout, and its binaries run
through the image's own dynamic loader (a sid glibc, like the build root's),
so a library missing from tools/debian/sid.in fails here, not in production.
"""

from __future__ import annotations

import subprocess
import sys
import time
import unittest
from pathlib import Path

from image_root import UnpackedImageTest, loader_command

BINARIES = ("usr/bin/redis-server", "usr/bin/redis-cli")


class RedisImageTest(UnpackedImageTest):
    """Runs the unpacked image's binaries with the image's own loader and libraries."""

    def command(self, binary: str, *args: str, list_libraries: bool = False) -> list[str]:
        """`binary args` of the image, through the image's loader and libraries.

        With `list_libraries`, the loader lists where each library comes from
        instead of running the binary.
        """
        loader = loader_command(self.root)
        if list_libraries:
            loader.append("--list")
        return [*loader, str(self.root / binary), *args]

    def image_output(self, binary: str, *args: str, list_libraries: bool = False) -> str:
        """The stdout of `binary args` run from the image."""
        command = self.command(binary, *args, list_libraries=list_libraries)
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def test_every_library_comes_from_the_image(self) -> None:
        for binary in BINARIES:
            listing = self.image_output(binary, list_libraries=True)
            resolved = [line.split("=>")[1].split("(")[0].strip() for line in listing.splitlines() if "=>" in line]
            self.assertTrue(resolved, listing)
            outside = [path for path in resolved if not path.startswith(str(self.root))]
            self.assertEqual(outside, [], f"{binary} takes these from outside the image")

    def test_vector_sets_and_aof(self) -> None:
        data = Path(self.tmp.name) / "data"
        data.mkdir()
        socket = data / "redis.sock"
        server = subprocess.Popen(
            self.command(
                "usr/bin/redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--appendonly",
                "yes",
                "--dir",
                str(data),
            ),
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                if socket.exists():
                    break
                time.sleep(0.05)
            cli = ("usr/bin/redis-cli", "-s", str(socket))
            self.assertEqual(self.image_output(*cli, "PING").strip(), "PONG")
            self.image_output(*cli, "VADD", "v", "VALUES", "3", "1", "0", "0", "near")
            self.image_output(*cli, "VADD", "v", "VALUES", "3", "0", "1", "0", "far")
            hits = self.image_output(*cli, "VSIM", "v", "VALUES", "3", "0.9", "0.1", "0").split()
            self.assertEqual(hits, ["near", "far"])
            self.assertTrue(list((data / "appendonlydir").glob("*.incr.aof")))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    RedisImageTest.layout = Path(sys.argv[1])
    unittest.main(argv=sys.argv[:1])
