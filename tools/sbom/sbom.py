"""An SPDX 2.3 JSON SBOM of one image, from its layer listings and the repo's locks.

    sbom.py --name IMAGE --digest-file IMAGE.digest
            --listing LAYER.listing [--listing ...]      # bottom layer first
            --debian-lock tools/debian/bookworm.lock.json [--architecture arm64]
            --python-lock requirements_lock.txt [--wheel FILE.whl ...]
            --output OUT.spdx.json [--app-version 0.1.0] [--strict]

A Debian package is in the image when var/lib/dpkg/status.d/<package> (which
our Debian layers write, as distroless images do) is in the merged listings;
its version and .deb sha256 come from the Debian lock's entry for the image's
architecture (`--architecture`, default amd64; or `all`). A
wheel is in the image when a <dist|site>-packages/<name>-<version>.dist-info/
directory is; its version comes from requirements_lock.txt, and its sha256 from
the wheel file the layers installed (`--wheel`, the layers' wheels: the hash must
be one the lock pins), or without `--wheel` every hash the lock pins for it
(one per platform's file). Paths under app/ add one package, docintel. Whiteouts (.wh.*) of upper layers remove
paths of the layers below. Errors (a wheel not in the lock, or without its file among
`--wheel`, or whose file the lock does not pin; with --strict a Debian package not
in the Debian lock; unreadable input) exit 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

NOASSERTION = "NOASSERTION"
# Deterministic builds: same inputs, same bytes. So the creation time is fixed
# to the epoch instead of the wall clock, and the namespace derives from the
# image digest instead of a random UUID.
CREATED = "1970-01-01T00:00:00Z"
CREATOR = "Tool: docintel-sbom"
UPDATE_HINT = "run tools/bazel run //:requirements.update"
DEBIAN_SUPPLIER = "Organization: Debian"
DEFAULT_ARCH = "amd64"

DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
DPKG_STATUS = re.compile(r"var/lib/dpkg/status\.d/([^/]+)")
DIST_INFO = re.compile(r"(?:^|/)(?:dist|site)-packages/([^/]+)\.dist-info(?:/|$)")
REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;]+)")
HASH = re.compile(r"--hash[=\s]sha256:([0-9a-fA-F]+)")
COMMENT = re.compile(r"(?:^|\s+)#.*$")
WHEEL_FILE = re.compile(r"([^-]+)-([^-]+)(?:-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl")
DEB_ARCH = re.compile(r"_([a-z0-9]+)\.deb$")
UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]")


class SbomError(Exception):
    """An input that cannot become a correct SBOM (exit 1)."""


@dataclass(frozen=True)
class Package:
    """One package as the SBOM lists it; `prefix` starts its SPDXID."""

    prefix: str
    name: str
    version: str
    sha256: tuple[str, ...] = ()
    purl: str | None = None
    supplier: str | None = None
    purpose: str | None = None
    file_name: str | None = None


def normalize(name: str) -> str:
    """A Python project name normalised per PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


def merged_paths(listings: list[Path]) -> set[str]:
    """The image's paths: the listings applied bottom first, with their whiteouts."""
    paths: set[str] = set()
    for listing in listings:
        layer = set()
        for line in listing.read_text(encoding="utf-8").splitlines():
            path = line.removeprefix("./").strip("/")
            if path and path != ".":
                layer.add(path)
        for path in sorted(layer):
            parent, _, base = path.rpartition("/")
            if base == ".wh..wh..opq":
                prefix = f"{parent}/" if parent else ""
                paths = {p for p in paths if not p.startswith(prefix)}
            elif base.startswith(".wh."):
                gone = f"{parent}/{base[4:]}" if parent else base[4:]
                paths = {p for p in paths if p != gone and not p.startswith(gone + "/")}
        paths |= {p for p in layer if not p.rpartition("/")[2].startswith(".wh.")}
    return paths


def deb_purl(name: str, version: str | None, arch: str) -> str:
    """The purl of a Debian 12 package (version left out when unknown)."""
    at = f"@{quote(version, safe=':')}" if version else ""
    return f"pkg:deb/debian/{quote(name, safe='')}{at}?arch={arch}&distro=debian-12"


def read_debian_lock(path: Path, architecture: str = DEFAULT_ARCH) -> dict[str, dict[str, str]]:
    """The Debian lock's packages for `architecture` (or all architectures) by name: version, sha256 and arch."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SbomError(f"{path}: no 'packages' list")
    lock: dict[str, dict[str, str]] = {}
    for entry in entries:
        try:
            name, version, sha256 = (str(entry[k]) for k in ("name", "version", "sha256"))
        except (KeyError, TypeError) as error:
            raise SbomError(f"{path}: entry without name/version/sha256: {entry!r}") from error
        found = DEB_ARCH.search(str(entry.get("path", "")))
        arch = found.group(1) if found else DEFAULT_ARCH
        if arch in (architecture, "all"):
            lock[name] = {"version": version, "sha256": sha256.lower(), "arch": arch}
    return lock


def debian_packages(paths: set[str], lock_path: Path, strict: bool, architecture: str = DEFAULT_ARCH) -> list[Package]:
    """The Debian packages whose dpkg status file is in `paths`, as the lock pins them for `architecture`."""
    lock = read_debian_lock(lock_path, architecture)
    found = sorted({m.group(1) for p in paths if (m := DPKG_STATUS.fullmatch(p))})
    unknown = [name for name in found if name not in lock]
    if unknown:
        message = f"packages not in {lock_path}: {', '.join(unknown)}"
        if strict:
            raise SbomError(f"{message} (--strict)")
        print(f"sbom: warning: {message}; listed with version {NOASSERTION}", file=sys.stderr)
    packages = []
    for name in found:
        entry = lock.get(name, {})
        version = entry.get("version")
        purl = deb_purl(name, version, entry.get("arch", DEFAULT_ARCH))
        checksums = (entry["sha256"],) if entry else ()
        packages.append(Package("DEB", name, version or NOASSERTION, checksums, purl, DEBIAN_SUPPLIER))
    return packages


def read_python_lock(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The pip-compile lock's pins by PEP 503 name: version and wheel sha256s."""
    logical: list[str] = []
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = COMMENT.sub("", raw).rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    logical.append(current)
    lock: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in logical:
        match = REQUIREMENT.match(entry.strip())
        if match:
            hashes = tuple(sorted({h.lower() for h in HASH.findall(entry)}))
            lock[normalize(match.group(1))] = (match.group(2), hashes)
    return lock


def wheel_files(paths: list[Path]) -> dict[tuple[str, str], list[Path]]:
    """Wheel files by (PEP 503 name, lower-cased version), from their names (PEP 427)."""
    found: dict[tuple[str, str], list[Path]] = {}
    for path in paths:
        match = WHEEL_FILE.fullmatch(path.name)
        if not match:
            raise SbomError(f"{path}: not a wheel file name (name-version[-build]-python-abi-platform.whl)")
        found.setdefault((normalize(match.group(1)), match.group(2).lower()), []).append(path)
    return found


def wheel_packages(paths: set[str], lock_path: Path, wheels: list[Path] | None = None) -> list[Package]:
    """The wheels whose .dist-info directory is in `paths`; all must be locked.

    With `wheels` (the files the layers installed), each package's checksum is its file's sha256,
    which the lock must pin; without, every sha256 the lock pins for it.
    """
    lock = read_python_lock(lock_path)
    files = wheel_files(wheels) if wheels is not None else None
    stems = sorted({m.group(1) for p in paths if (m := DIST_INFO.search(p))})
    packages, missing = [], []
    for stem in stems:
        raw_name, _, version = stem.rpartition("-")
        name = normalize(raw_name or stem)
        pinned = lock.get(name)
        if not raw_name or pinned is None or pinned[0].lower() != version.lower():
            locked = f" (locked: {pinned[0]})" if pinned else ""
            missing.append(f"{name}=={version} from {stem}.dist-info{locked}")
            continue
        purl = f"pkg:pypi/{quote(name, safe='')}@{quote(pinned[0], safe='')}"
        if files is None:
            packages.append(Package("PyPI", name, pinned[0], pinned[1], purl, None, "LIBRARY"))
            continue
        wheel, sha256 = _installed_wheel(
            files.get((name, version.lower()), []), f"{name}=={version}", pinned[1], lock_path
        )
        packages.append(Package("PyPI", name, pinned[0], (sha256,), purl, None, "LIBRARY", wheel.name))
    if missing:
        raise SbomError(f"wheels not in {lock_path}: {'; '.join(missing)}; {UPDATE_HINT}")
    return packages


def _installed_wheel(
    candidates: list[Path], requirement: str, pinned: tuple[str, ...], lock_path: Path
) -> tuple[Path, str]:
    """The one file among `candidates` whose sha256 the lock pins for `requirement`, and that sha256."""
    if not candidates:
        raise SbomError(f"{requirement} is installed, but no --wheel file is {requirement}'s: pass the layers' wheels")
    pinned_files = [(path, digest) for path in candidates if (digest := _file_sha256(path)) in pinned]
    if len(pinned_files) != 1:
        names = ", ".join(sorted(path.name for path in candidates))
        raise SbomError(f"{len(pinned_files)} of the wheel files of {requirement} ({names}) are pinned in {lock_path}")
    return pinned_files[0]


def _file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def unique_id(prefix: str, name: str, taken: set[str]) -> str:
    """An SPDXID from `name` (sanitised to [A-Za-z0-9.-]), unique within `taken`."""
    base = f"SPDXRef-{prefix}-{UNSAFE_ID.sub('-', name)}" if prefix else f"SPDXRef-{name}"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def package_json(package: Package, ident: str) -> dict[str, object]:
    """The SPDX 2.3 JSON of one package (files are not analysed)."""
    out: dict[str, object] = {
        "SPDXID": ident,
        "name": package.name,
        "versionInfo": package.version,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
    }
    if package.sha256:
        out["checksums"] = [{"algorithm": "SHA256", "checksumValue": h} for h in package.sha256]
    if package.purl:
        out["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": package.purl,
            }
        ]
    if package.supplier:
        out["supplier"] = package.supplier
    if package.purpose:
        out["primaryPackagePurpose"] = package.purpose
    if package.file_name:
        out["packageFileName"] = package.file_name
    return out


def relationship(element: str, kind: str, related: str) -> dict[str, str]:
    """An SPDX relationship: `element` `kind` (DESCRIBES, CONTAINS, ...) `related`."""
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def build_document(image: str, digest_hex: str, contents: list[Package]) -> dict[str, object]:
    """The SPDX 2.3 document: the image package DESCRIBED, CONTAINING `contents`."""
    taken: set[str] = set()
    digest = f"sha256:{digest_hex}"
    image_package = Package("", image, digest, (digest_hex,), purpose="CONTAINER")
    image_id = unique_id("", "Image", taken)
    packages = [package_json(image_package, image_id)]
    relationships = [relationship("SPDXRef-DOCUMENT", "DESCRIBES", image_id)]
    for package in sorted(contents, key=lambda p: (p.prefix, p.name, p.version)):
        ident = unique_id(package.prefix, package.name, taken)
        packages.append(package_json(package, ident))
        relationships.append(relationship(image_id, "CONTAINS", ident))
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"docintel-{image}",
        "documentNamespace": f"https://spdx.org/spdxdocs/docintel-{image}-{digest_hex}",
        "creationInfo": {"created": CREATED, "creators": [CREATOR]},
        "documentDescribes": [image_id],
        "packages": packages,
        "relationships": relationships,
    }


def read_digest(path: Path) -> str:
    """The hex of the `sha256:<hex>` manifest digest in `path`."""
    text = path.read_text(encoding="utf-8").strip()
    match = DIGEST.fullmatch(text)
    if not match:
        raise SbomError(f"{path}: not a sha256:<64 hex> digest: {text[:80]!r}")
    return match.group(1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="An SPDX 2.3 JSON SBOM of one image.")
    add = parser.add_argument
    add("--name", required=True, help="the image's name")
    add("--digest-file", required=True, type=Path, help="holds the manifest's sha256:<hex>")
    add("--listing", required=True, action="append", type=Path, help="per layer, bottom first")
    add("--debian-lock", required=True, type=Path, help="tools/debian/bookworm.lock.json")
    add("--architecture", default=DEFAULT_ARCH, help="the image's Debian architecture (amd64, arm64)")
    add("--python-lock", required=True, type=Path, help="requirements_lock.txt")
    add("--wheel", action="append", type=Path, help="a wheel file the layers installed from (each one)")
    add("--output", required=True, type=Path, help="the .spdx.json to write")
    add("--app-version", default="0.1.0", help="version of the docintel app package")
    add("--strict", action="store_true", help="a Debian package not in the Debian lock is an error")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Write the SBOM of one image; 0 on success, 1 on an error (told on stderr)."""
    args = parse_args(argv)
    try:
        digest_hex = read_digest(args.digest_file)
        paths = merged_paths(args.listing)
        debs = debian_packages(paths, args.debian_lock, args.strict, args.architecture)
        wheels = wheel_packages(paths, args.python_lock, args.wheel)
        contents = debs + wheels
        if any(p.startswith("app/") for p in paths):
            contents.append(Package("App", "docintel", args.app_version, purpose="APPLICATION"))
        document = build_document(args.name, digest_hex, contents)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w", encoding="utf-8", newline="\n") as out:
            out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    except (SbomError, OSError, ValueError) as error:
        print(f"sbom: {args.name}: error: {error}", file=sys.stderr)
        return 1
    print(f"sbom: {args.name}: {len(debs)} Debian packages, {len(wheels)} wheels -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
