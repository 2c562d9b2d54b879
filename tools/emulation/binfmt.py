"""Makes the kernel run linux/arm64 programs through Debian's qemu-user-static (binfmt_misc).

    binfmt.py ensure [--arch aarch64]

Mounts binfmt_misc on /proc/sys/fs/binfmt_misc if it is not, and registers
qemu-user-static's handler from /usr/lib/binfmt.d/qemu-<arch>.conf if there is
none (or one without the F flag: without it the kernel looks the interpreter
up inside each container, which has none). Prints what it found and did.
Exit 0 when the handler is in place; 77 (skip) with the reason when it cannot
be: not root, qemu-user-static not installed (apt-get install
qemu-user-static), a kernel without binfmt_misc. Standard library only: the
host's python3 runs it (.ci/arm64_emulation.sh).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MOUNT_POINT = Path("/proc/sys/fs/binfmt_misc")
CONF_DIR = Path("/usr/lib/binfmt.d")
SKIP = 77  # the exit code test drivers read as "skipped"


class UnavailableError(Exception):
    """The handler cannot be put in place here; the message says why and what would fix it."""


@dataclass(frozen=True)
class Handler:
    """A registered binfmt_misc handler, as /proc/sys/fs/binfmt_misc/<name> shows it."""

    enabled: bool
    interpreter: str
    flags: str

    @classmethod
    def parse(cls, text: str) -> Handler:
        """Reads the handler file: `enabled`, `interpreter PATH`, `flags: POF`, ..."""
        lines = text.splitlines()
        fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
        return cls(
            enabled=bool(lines) and lines[0] == "enabled",
            interpreter=fields.get("interpreter", ""),
            flags=fields.get("flags:", "").strip(),
        )


@dataclass(frozen=True)
class Binfmt:
    """The binfmt_misc file system and the qemu-user-static registration lines to feed it."""

    mount_point: Path = MOUNT_POINT
    conf_dir: Path = CONF_DIR

    def ensure(self, arch: str) -> list[str]:
        """Puts qemu-<arch>'s handler in place; what it did, one line each. Raises UnavailableError."""
        done: list[str] = []
        if not (self.mount_point / "register").exists():
            self._mount()
            done.append(f"mounted binfmt_misc on {self.mount_point}")
        name = f"qemu-{arch}"
        entry = self.mount_point / name
        handler = Handler.parse(entry.read_text()) if entry.exists() else None
        if handler is not None and handler.enabled and "F" in handler.flags:
            return [*done, f"{name}: registered ({handler.interpreter}, flags {handler.flags})"]
        line = self._registration(name)
        if handler is not None:
            entry.write_text("-1")  # an old registration without F (or disabled): replaced by Debian's
            done.append(
                f"{name}: removed a registration with flags {handler.flags or '-'} (enabled: {handler.enabled})"
            )
        (self.mount_point / "register").write_text(line)
        registered = Handler.parse(entry.read_text())
        return [*done, f"{name}: registered {registered.interpreter} (flags {registered.flags})"]

    def _mount(self) -> None:
        """Mounts binfmt_misc (as root)."""
        if os.geteuid() != 0:
            raise UnavailableError(f"binfmt_misc is not mounted on {self.mount_point} and only root can mount it")
        result = subprocess.run(
            ["/bin/mount", "-t", "binfmt_misc", "binfmt_misc", str(self.mount_point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise UnavailableError(f"cannot mount binfmt_misc ({result.stderr.strip()}): does this kernel have it?")

    def _registration(self, name: str) -> str:
        """qemu-user-static's registration line for handler `name`."""
        conf = self.conf_dir / f"{name}.conf"
        if not conf.is_file():
            raise UnavailableError(
                f"{conf} is missing: install Debian's qemu-user-static (apt-get install qemu-user-static)"
            )
        if not os.access(self.mount_point / "register", os.W_OK):
            raise UnavailableError(f"{self.mount_point}/register is not writable: register the handler as root")
        return conf.read_text().strip()


def main(argv: list[str]) -> int:
    """Ensures the handler; 0 when it is there, SKIP with the reason when it cannot be."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["ensure"])
    parser.add_argument("--arch", default="aarch64", help="qemu's name of the architecture (default aarch64)")
    args = parser.parse_args(argv)
    try:
        for line in Binfmt().ensure(args.arch):
            print(f"binfmt: {line}")
    except (UnavailableError, OSError) as error:
        print(f"binfmt: cannot run {args.arch} programs here: {error}")
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
