"""Copies one script (a program the wheel installs into bin/) out of a wheel.

    wheel_script.py WHEEL SCRIPT OUT

The script is the wheel's `<name>-<version>.data/scripts/SCRIPT` member, as
pip would install it: OUT is written executable. ruff's wheel ships the ruff
program this way.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def extract_script(wheel: Path, script: str, out: Path) -> None:
    """Writes the wheel's script `script` to `out`, executable; fails if the wheel has none."""
    with zipfile.ZipFile(wheel) as archive:
        wanted = f"/scripts/{script}"
        names = [n for n in archive.namelist() if n.split("/")[0].endswith(".data") and n.endswith(wanted)]
        if len(names) != 1:
            raise SystemExit(f"wheel_script.py: {wheel.name} holds no script {script!r} (found {names})")
        out.write_bytes(archive.read(names[0]))
    out.chmod(0o755)


def main(argv: list[str]) -> int:
    """Extracts the script the command line names."""
    if len(argv) != 3:
        raise SystemExit(__doc__)
    extract_script(Path(argv[0]), argv[1], Path(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
