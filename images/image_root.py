"""An image's own programs, run without a container runtime.

`unpack` extracts every layer of an OCI layout's image into a directory
(`UnpackedImageTest` does it once for a test class); `loader_command` runs a
binary of that directory through the image's own dynamic loader and
libraries, so nothing of the host's (or the build root's) is used. Which
loader and library directory: whatever the image holds, for any architecture.
`UnpackedImageTest.run_in_image` runs a command in the directory (chroot) as
the image's user with the image's environment, with the /proc and /dev/null a
container runtime mounts: the nearest to a container that a test inside the
build can start.
"""

from __future__ import annotations

import subprocess
import tempfile
import unittest
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layer_stream import image_layer_tars
from oci_layout import Layout

__all__ = ["USER", "UnpackedImageTest", "image_config", "loader_command", "unpack"]

USER = "65532:65532"
"""The user every docintel image runs as (its config's User)."""

# In a mount namespace of its own (gone with the command): the kernel's /proc and the host's
# /dev/null in the image root, then the command there as the user (arguments: ROOT USER COMMAND...).
_CONTAINED = (
    'root=$1 user=$2; shift 2; /usr/bin/mount -t proc proc "$root/proc" && '
    '/usr/bin/mount --bind /dev/null "$root/dev/null" && exec /usr/sbin/chroot --userspec="$user" "$root" "$@"'
)

# Where Debian puts the dynamic loader: /lib64 (amd64) or /lib (arm64), merged into /usr.
_LOADERS = ("usr/lib64/ld-linux-*.so*", "usr/lib/ld-linux-*.so*")


def image_config(layout: Path) -> dict[str, Any]:
    """The `config` object (Env, Entrypoint, ...) of the layout's image."""
    config: dict[str, Any] = Layout(layout).config()["config"]
    return config


def unpack(layout: Path, root: Path) -> None:
    """Extracts every layer of the layout's image into `root`, bottom first."""
    for tar in image_layer_tars(Layout(layout)):
        tar.extractall(root)


def loader_command(root: Path) -> list[str]:
    """The image's dynamic loader with the image's library directory: prefix a binary of `root` with it."""
    loaders = sorted(p for pattern in _LOADERS for p in root.glob(pattern))
    libraries = sorted(p.parent for p in root.glob("usr/lib/*-linux-gnu/libc.so.6"))
    if not loaders or not libraries:
        raise FileNotFoundError(f"{root} holds no dynamic loader (usr/lib*/ld-linux-*) or libc (usr/lib/*-linux-gnu)")
    return [str(loaders[0]), "--library-path", str(libraries[0])]


class UnpackedImageTest(unittest.TestCase):
    """Tests of one image, unpacked once into `root` (a temporary directory) for the whole class."""

    layout: Path
    tmp: tempfile.TemporaryDirectory[str]
    root: Path

    @classmethod
    def setUpClass(cls) -> None:
        """Unpacks `layout` into `root`."""
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name) / "root"
        unpack(cls.layout, cls.root)

    @classmethod
    def tearDownClass(cls) -> None:
        """Removes `root`."""
        cls.tmp.cleanup()

    def run_in_image(self, *command: str, env: Mapping[str, str], **options: Any) -> subprocess.Popen[str]:
        """`command` in the unpacked image (chroot) as USER, with the image's environment and `env` on top.

        The image's /proc and /dev/null are mounted for it, in a mount namespace that ends with it.
        """
        image_env = dict(item.split("=", 1) for item in image_config(self.layout)["Env"])
        (self.root / "proc").mkdir(exist_ok=True)
        (self.root / "dev").mkdir(exist_ok=True)
        (self.root / "dev" / "null").touch()
        contained = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", _CONTAINED, "sh"]
        return subprocess.Popen(
            [*contained, str(self.root), USER, *command],
            env={**image_env, **env},
            text=True,
            **options,
        )
