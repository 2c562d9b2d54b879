"""Makes the kernel run linux/arm64 programs through qemu-user (binfmt_misc).

    binfmt.py ensure [--arch aarch64] [--interpreter PATH]
    binfmt.py reset [--arch aarch64]

`ensure` mounts binfmt_misc on /proc/sys/fs/binfmt_misc if it is not, and
registers qemu-user-static's handler from /usr/lib/binfmt.d/qemu-<arch>.conf
if there is none (or one without the F flag: without it the kernel looks the
interpreter up inside each container, which has none). With --interpreter,
the handler must run that emulator (a static qemu-<arch>, e.g. the pinned
@qemu_user's): Debian's magic and mask, that interpreter, flags OF; another
registration is replaced. `reset` puts Debian's own handler back (what
`apt-get install qemu-user-static` registers). Both print what they found and
did. Exit 0 when the handler is in place; 77 (skip) with the reason when it
cannot be: not root, qemu-user-static not installed (apt-get install
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
# Fields of a registration line, ":name:type:offset:magic:mask:interpreter:flags".
_INTERPRETER, _FLAGS = 6, 7


class UnavailableError(Exception):
    """The handler cannot be put in place here; the message says why and what would fix it."""


@dataclass(frozen=True)
class Handler:
    """A registered binfmt_misc handler, as /proc/sys/fs/binfmt_misc/<name> shows it."""

    enabled: bool
    interpreter: str
    flags: str

    def serves(self, interpreter: str | None) -> bool:
        """Enabled, with the F flag, and running ``interpreter`` (any, when None): nothing to change."""
        return self.enabled and "F" in self.flags and interpreter in (None, self.interpreter)

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

    def ensure(self, arch: str, interpreter: str | None = None) -> list[str]:
        """Puts qemu-<arch>'s handler (``interpreter``, else Debian's) in place; returns what it did."""
        done: list[str] = []
        if not (self.mount_point / "register").exists():
            self._mount()
            done.append(f"mounted binfmt_misc on {self.mount_point}")
        name = f"qemu-{arch}"
        entry = self.mount_point / name
        handler = Handler.parse(entry.read_text()) if entry.exists() else None
        if handler is not None and handler.serves(interpreter):
            return [*done, f"{name}: registered ({handler.interpreter}, flags {handler.flags})"]
        line = self._registration(name, interpreter)
        if handler is not None:
            entry.write_text("-1")  # without F, disabled or another emulator: replaced
            done.append(
                f"{name}: removed a registration of {handler.interpreter or '-'} with flags {handler.flags or '-'} "
                f"(enabled: {handler.enabled})"
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

    def reset(self, arch: str) -> list[str]:
        """Debian's own handler for qemu-<arch> again; what it did. Raises UnavailableError."""
        return self.ensure(arch, self._debian_line(f"qemu-{arch}").split(":")[_INTERPRETER])

    def _registration(self, name: str, interpreter: str | None) -> str:
        """The registration line for handler `name`: Debian's, or with `interpreter` and flags OF."""
        line = self._debian_line(name)
        if not os.access(self.mount_point / "register", os.W_OK):
            raise UnavailableError(f"{self.mount_point}/register is not writable: register the handler as root")
        fields = line.split(":")
        if interpreter is None or interpreter == fields[_INTERPRETER]:
            return line
        # O: the kernel hands the emulator an open file; F: it opens the emulator now, so containers need none.
        fields[_INTERPRETER], fields[_FLAGS] = interpreter, "OF"
        return ":".join(fields)

    def _debian_line(self, name: str) -> str:
        """qemu-user-static's registration line for handler `name` (its magic and mask)."""
        conf = self.conf_dir / f"{name}.conf"
        if not conf.is_file():
            raise UnavailableError(
                f"{conf} is missing: install Debian's qemu-user-static (apt-get install qemu-user-static)"
            )
        return conf.read_text().strip()


def main(argv: list[str]) -> int:
    """Ensures (or resets) the handler; 0 when it is there, SKIP with the reason when it cannot be."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=["ensure", "reset"])
    parser.add_argument("--arch", default="aarch64", help="qemu's name of the architecture (default aarch64)")
    parser.add_argument("--interpreter", type=Path, help="with ensure: the static qemu-<arch> the handler must run")
    args = parser.parse_args(argv)
    if args.interpreter is not None and (args.command != "ensure" or not args.interpreter.is_file()):
        parser.error(f"--interpreter {args.interpreter}: give an existing file, with ensure")
    binfmt = Binfmt()
    try:
        if args.command == "reset":
            done = binfmt.reset(args.arch)
        else:
            done = binfmt.ensure(args.arch, str(args.interpreter.resolve()) if args.interpreter else None)
        for line in done:
            print(f"binfmt: {line}")
    except (UnavailableError, OSError) as error:
        print(f"binfmt: cannot run {args.arch} programs here: {error}")
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
