"""Pins Debian packages: writes a lock file deb_archive downloads by sha256.

    lock.py [--suite SUITE] [--update] PACKAGES.in LOCK.json

Run it where apt follows SUITE (default `bookworm`), so apt's candidates are
that suite's packages (tools/debian/README.md says where):

    python3 tools/debian/lock.py tools/debian/bookworm.in tools/debian/bookworm.lock.json
    tools/bazel run //tools/debian:lock -- --suite sid --update tools/debian/sid.in tools/debian/sid.lock.json

For each package named in the input (one per line, `#` comments), the lock
records the version apt would install, the archive it comes from (`debian` or
`debian-security`), its path in that archive and its sha256. A candidate from
another suite is refused: a lock for sid written on a Debian 12 host would
silently pin Debian 12's packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

_URI_LINE = re.compile(r"^'(?P<url>[^']+)' (?P<file>\S+) (?P<size>\d+) SHA256:(?P<sha256>[0-9a-f]{64})$")
_ARCHIVE_PATH = re.compile(r"/(?P<archive>debian(?:-security)?)/(?P<path>pool/.+)$")


def read_names(path: Path) -> list[str]:
    """Package names of an input file, without comments and blank lines."""
    names = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return sorted({name for name in names if name})


def _apt(*command: str) -> str:
    """Runs an apt command; its stdout."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"lock.py: apt failed: {result.stderr.strip()} (run apt-get update?)")
    return result.stdout


def lock_entries(names: list[str]) -> list[dict[str, str | int]]:
    """Asks apt for the download URI and hash of each package's candidate."""
    entries: list[dict[str, str | int]] = []
    for line in _apt("apt-get", "download", "--print-uris", *names).splitlines():
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


def madison_suites(madison: str) -> dict[tuple[str, str], set[str]]:
    """(name, version) -> the suites offering it, from `apt-cache madison` output.

    A line reads `redis-server | 5:8.0.6-3 | http://host/debian sid/main amd64 Packages`;
    `bookworm-security/main` counts as suite `bookworm`.
    """
    suites: dict[tuple[str, str], set[str]] = {}
    for line in madison.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or len(parts[2].split()) < 2:
            continue
        suite = parts[2].split()[1].split("/")[0].split("-")[0]
        suites.setdefault((parts[0], parts[1]), set()).add(suite)
    return suites


def check_suite(entries: list[dict[str, str | int]], suite: str, madison: str) -> None:
    """Refuses candidates that do not come from `suite`."""
    offered = madison_suites(madison)
    wrong = [
        f"{entry['name']} {entry['version']} ({', '.join(sorted(found)) or 'no suite'})"
        for entry in entries
        if suite not in (found := offered.get((str(entry["name"]), str(entry["version"])), set()))
    ]
    if wrong:
        raise SystemExit(
            f"lock.py: apt's candidates do not come from {suite}: {'; '.join(wrong)}. "
            f"Run lock.py where apt follows {suite} (tools/debian/README.md)."
        )


def main(argv: list[str]) -> int:
    """Writes the lock file for the package list given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="bookworm", help="the suite apt must pin from")
    parser.add_argument("--update", action="store_true", help="run apt-get update first")
    parser.add_argument("packages", type=Path, help="input: package names, one a line")
    parser.add_argument("lock", type=Path, help="output: the lock file")
    args = parser.parse_args(argv)
    # Under `bazel run`, relative paths mean the caller's directory.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))

    if args.update:
        _apt("apt-get", "update", "-q")
    names = read_names(args.packages)
    entries = lock_entries(names)
    check_suite(entries, args.suite, _apt("apt-cache", "madison", *names))
    args.lock.write_text(json.dumps({"suite": args.suite, "packages": entries}, indent=2) + "\n")
    print(f"lock.py: pinned {len(entries)} {args.suite} packages in {args.lock}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
