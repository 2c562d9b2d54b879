"""Pins Debian packages: writes a lock file deb_archive downloads by sha256.

    lock.py [--suite SUITE] [--architecture ARCH]... [--update] PACKAGES.in LOCK.json

Run it where apt follows SUITE (default `bookworm`), so apt's candidates are
that suite's packages (tools/debian/README.md says where):

    python3 tools/debian/lock.py tools/debian/bookworm.in tools/debian/bookworm.lock.json
    tools/bazel run //tools/debian:lock -- --suite sid --update tools/debian/sid.in tools/debian/sid.lock.json

For each package named in the input (one per line, `#` comments) and each
architecture, the lock records the version apt would install, the archive it
comes from (`debian` or `debian-security`), its path in that archive and its
sha256. A candidate from another suite is refused: a lock for sid written on a
Debian 12 host would silently pin Debian 12's packages.

The architectures are `--architecture`'s (repeatable), else those the lock
already has, else apt's native one: a re-pin keeps a lock's architectures. A
package built for all of them (`Architecture: all`) has one entry; an entry's
architecture is the one its file name ends with (`_arm64.deb`, `_all.deb`).
apt reads a foreign architecture's package lists only once they are fetched:
pin a new one with `--update`.
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
_DEB_ARCHITECTURE = re.compile(r"_(?P<architecture>[a-z0-9]+)\.deb$")
INDEPENDENT = "all"


def read_names(path: Path) -> list[str]:
    """Package names of an input file, without comments and blank lines."""
    names = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return sorted({name for name in names if name})


def architecture_of(path: str) -> str:
    """The architecture a .deb's file name ends with: `amd64`, `arm64`, ... or `all`."""
    match = _DEB_ARCHITECTURE.search(path)
    if not match:
        raise SystemExit(f"lock.py: {path} does not end in _<architecture>.deb")
    return match["architecture"]


def lock_architectures(lock: Path) -> list[str]:
    """The architectures an existing lock pins (not `all`); none if there is no lock."""
    if not lock.is_file():
        return []
    paths = (str(entry["path"]) for entry in json.loads(lock.read_text())["packages"])
    return sorted({architecture_of(path) for path in paths} - {INDEPENDENT})


class Apt:
    """apt-get and apt-cache, seeing the package lists of `architectures`."""

    def __init__(self, architectures: list[str]) -> None:
        """Every command gets `-o APT::Architectures::=ARCH` for each architecture."""
        self.options = [f"-oAPT::Architectures::={architecture}" for architecture in architectures]

    def run(self, tool: str, *arguments: str) -> str:
        """Runs `tool` (apt-get, apt-cache) with the options and `arguments`; its stdout."""
        command = [tool, *self.options, *arguments]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(
                f"lock.py: {tool} failed: {result.stderr.strip()} "
                "(run with --update: apt-get update, fetching the lists of every architecture)"
            )
        return result.stdout


def independent(apt: Apt, names: list[str]) -> set[str]:
    """The packages whose candidate is built for every architecture (`Architecture: all`)."""
    found: set[str] = set()
    for stanza in apt.run("apt-cache", "show", "--no-all-versions", *names).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " ")
        if fields.get("Architecture") == INDEPENDENT:
            found.add(fields["Package"])
    return found


def qualified_names(names: list[str], architectures: list[str], shared: set[str]) -> list[str]:
    """`name:arch` for each package and architecture; a package in `shared` once, unqualified."""
    return [name for name in names if name in shared] + [
        f"{name}:{architecture}" for name in names if name not in shared for architecture in architectures
    ]


def lock_entries(apt: Apt, qualified: list[str]) -> list[dict[str, str | int]]:
    """Asks apt for the download URI and hash of each (`name:arch`) package's candidate."""
    entries: list[dict[str, str | int]] = []
    for line in apt.run("apt-get", "download", "--print-uris", *qualified).splitlines():
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
    found = {str(entry["name"]) for entry in entries} | {
        f"{entry['name']}:{architecture_of(str(entry['path']))}" for entry in entries
    }
    missing = set(qualified) - found
    if missing:
        raise SystemExit(f"lock.py: apt knows no candidate for {sorted(missing)}; run with --update")
    return sorted(entries, key=lambda entry: (str(entry["name"]), str(entry["path"])))


def madison_suites(madison: str) -> dict[tuple[str, str], set[str]]:
    """(name, version) -> the suites offering it, from `apt-cache madison` output.

    A line reads `redis-server | 5:8.0.6-3 | http://host/debian sid/main amd64 Packages`
    (`libc6:arm64 | ...` for a foreign architecture's); `bookworm-security/main`
    counts as suite `bookworm`.
    """
    suites: dict[tuple[str, str], set[str]] = {}
    for line in madison.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or len(parts[2].split()) < 2:
            continue
        suite = parts[2].split()[1].split("/")[0].split("-")[0]
        suites.setdefault((parts[0].split(":")[0], parts[1]), set()).add(suite)
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
    parser.add_argument(
        "--architecture",
        action="append",
        help="a Debian architecture to pin (repeatable; default: the lock's, else apt's native one)",
    )
    parser.add_argument("--update", action="store_true", help="run apt-get update first")
    parser.add_argument("packages", type=Path, help="input: package names, one a line")
    parser.add_argument("lock", type=Path, help="output: the lock file")
    args = parser.parse_args(argv)
    # Under `bazel run`, relative paths mean the caller's directory.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))

    native = Apt([]).run("apt-config", "dump", "--no-empty", "--format", "%v%n", "APT::Architecture").strip()
    architectures = sorted(set(args.architecture or lock_architectures(args.lock) or [native]))
    apt = Apt(architectures)
    if args.update:
        apt.run("apt-get", "update", "-q")
    names = read_names(args.packages)
    qualified = qualified_names(names, architectures, independent(apt, names))
    entries = lock_entries(apt, qualified)
    check_suite(entries, args.suite, apt.run("apt-cache", "madison", *qualified))
    args.lock.write_text(json.dumps({"suite": args.suite, "packages": entries}, indent=2) + "\n")
    print(f"lock.py: pinned {len(entries)} {args.suite} packages for {', '.join(architectures)} in {args.lock}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
