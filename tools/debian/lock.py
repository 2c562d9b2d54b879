"""Pins Debian 12 packages: writes tools/debian/bookworm.lock.json.

Run on a Debian 12 host (its apt knows bookworm and bookworm-security):

    python3 tools/debian/lock.py tools/debian/bookworm.in tools/debian/bookworm.lock.json

For each package named in the input (one per line, `#` comments), the lock
records the version apt would install, the archive it comes from (`debian` or
`debian-security`), its path in that archive and its sha256. Bazel's
`debian_packages` extension downloads exactly those files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

_URI_LINE = re.compile(
    r"^'(?P<url>[^']+)' (?P<file>\S+) (?P<size>\d+) SHA256:(?P<sha256>[0-9a-f]{64})$"
)
_ARCHIVE_PATH = re.compile(r"/(?P<archive>debian(?:-security)?)/(?P<path>pool/.+)$")


def read_names(path: Path) -> list[str]:
    """Package names of an input file, without comments and blank lines."""
    names = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return sorted({name for name in names if name})


def lock_entries(names: list[str]) -> list[dict[str, str | int]]:
    """Asks apt for the download URI and hash of each package's candidate."""
    result = subprocess.run(
        ["apt-get", "download", "--print-uris", *names], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"lock.py: apt-get failed: {result.stderr.strip()} (run apt-get update?)")
    out = result.stdout
    entries: list[dict[str, str | int]] = []
    for line in out.splitlines():
        match = _URI_LINE.match(line.strip())
        if not match:
            continue
        place = _ARCHIVE_PATH.search(match["url"])
        if not place:
            raise SystemExit(f"lock.py: cannot tell the archive of {match['url']}")
        name, version, _arch = match["file"].removesuffix(".deb").split("_")
        entries.append(
            {
                "name": name,
                "version": unquote(version),
                "archive": place["archive"],
                "path": unquote(place["path"]),
                "sha256": match["sha256"],
                "size": int(match["size"]),
            }
        )
    missing = set(names) - {str(entry["name"]) for entry in entries}
    if missing:
        raise SystemExit(f"lock.py: apt knows no candidate for {sorted(missing)}; run apt-get update")
    return sorted(entries, key=lambda entry: str(entry["name"]))


def main(argv: list[str]) -> int:
    """Writes the lock file for the package list given on the command line."""
    if len(argv) != 2:
        print("usage: lock.py PACKAGES.in LOCK.json", file=sys.stderr)
        return 2
    entries = lock_entries(read_names(Path(argv[0])))
    Path(argv[1]).write_text(json.dumps({"packages": entries}, indent=2) + "\n")
    print(f"lock.py: pinned {len(entries)} packages in {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
