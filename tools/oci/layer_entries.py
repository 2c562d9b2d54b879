"""What goes into a layer, as tar entries: files, packages, wheels, links, directories.

The spec is what layer.py reads (its docstring shows one). Debian packages are
unpacked from their data.tar, with /bin, /sbin, /lib and /lib64 folded into
/usr (merged /usr), plus a dpkg status file. Wheels are installed the way pip
installs them into site_packages (their purelib and platlib), straight from the
locked wheel files; their scripts, headers and data, and the RECORD of their
hashes, are left out.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tar_header import header

_MERGED_USR_LINKS = ("bin", "sbin", "lib", "lib64")
_MERGED_USR = tuple(link + "/" for link in _MERGED_USR_LINKS)


@dataclass(frozen=True)
class LayerSpec:
    """What goes in the layer (the --spec file; layer.py's docstring shows one)."""

    files: list[dict[str, Any]] = field(default_factory=list)
    debs: list[str] = field(default_factory=list)
    wheels: list[str] = field(default_factory=list)
    site_packages: str = "usr/local/lib/python3.11/dist-packages"
    symlinks: dict[str, str] = field(default_factory=dict)
    dirs: list[dict[str, int | str]] = field(default_factory=list)
    lower_listings: list[str] = field(default_factory=list)
    prune: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    ca_bundle: str = ""
    strip: bool = False
    bytecode: bool = False

    @classmethod
    def load(cls, path: Path) -> LayerSpec:
        """Reads a spec file; unknown keys are an error."""
        return cls(**json.loads(path.read_text()))


@dataclass(frozen=True)
class Entry:
    """One tar member: its header, and where its bytes come from.

    The bytes are a file, bytes in memory, or a member of an open wheel.
    """

    info: tarfile.TarInfo
    src: Path | None = None
    data: bytes | None = None
    member: tuple[zipfile.ZipFile, zipfile.ZipInfo] | None = None

    def open(self) -> IO[bytes] | None:
        """The entry's bytes; None for directories and links."""
        if self.src is not None:
            return self.src.open("rb")
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.member is not None:
            archive, info = self.member
            return archive.open(info)
        return None


def _normalize(path: str) -> str:
    """A path as the image holds it: relative, with /bin, /sbin, /lib and /lib64 under /usr.

    Leading `/` and `./` go (`./usr`, `/etc`; `.` alone is the root, an empty path); the dot of a
    name stays (`.config/app.toml`).
    """
    while path.startswith(("/", "./")):
        path = path.removeprefix("./").lstrip("/")
    if path == ".":
        path = ""
    if path.startswith(_MERGED_USR) or path in _MERGED_USR_LINKS:
        path = "usr/" + path
    return path.rstrip("/")


def _deb_members(deb: Path) -> dict[str, bytes]:
    """The members of a .deb (an ar archive) by kind: debian-binary, control, data."""
    members: dict[str, bytes] = {}
    with deb.open("rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise SystemExit(f"layer.py: {deb} is not a Debian package")
        while header := f.read(60):
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode())
            members[name.partition(".tar")[0]] = f.read(size + size % 2)[:size]
    if "data" not in members or "control" not in members:
        raise SystemExit(f"layer.py: {deb} has no data.tar or control.tar member")
    return members


def _status_entry(control_tar: bytes) -> Entry:
    """The package's var/lib/dpkg/status.d/<package> file.

    That is how distroless images record packages, so scanners and our SBOM
    see which Debian packages an image holds.
    """
    with tarfile.open(fileobj=io.BytesIO(control_tar)) as tar:
        control = tar.extractfile("./control")
        assert control is not None
        text = control.read().decode()
    package = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Package:"))
    status = text.rstrip("\n").replace("\nVersion:", "\nStatus: install ok installed\nVersion:", 1)
    data = (status + "\n").encode()
    info = header(f"var/lib/dpkg/status.d/{package}", tarfile.REGTYPE, 0o644)
    info.size = len(data)
    return Entry(info, data=data)


def deb_entries(deb: Path) -> Iterator[Entry]:
    """The files, directories and links a Debian package installs, and its status file."""
    members = _deb_members(deb)
    yield _status_entry(members["control"])
    with tarfile.open(fileobj=io.BytesIO(members["data"])) as tar:
        for member in tar.getmembers():
            dst = _normalize(member.name)
            if not dst:
                continue
            if member.isdir():
                yield Entry(header(dst, tarfile.DIRTYPE, member.mode))
            elif member.issym():
                info = header(dst, tarfile.SYMTYPE, 0o777)
                info.linkname = member.linkname
                yield Entry(info)
            elif member.isfile() or member.islnk():
                # Hard links become copies: the link target may be pruned.
                extracted = tar.extractfile(member)
                assert extracted is not None
                data = extracted.read()
                info = header(dst, tarfile.REGTYPE, member.mode)
                info.size = len(data)
                yield Entry(info, data=data)


def _file_mode(mode: int) -> int:
    """0755 for a file with any execute bit, else 0644 (as pip installs wheel files)."""
    return 0o755 if mode & 0o111 else 0o644


def _installed_path(name: str) -> str | None:
    """Where pip installs a wheel member, relative to site-packages.

    None if it does not go there (scripts, headers, data) or is the RECORD of
    hashes.
    """
    top, _, rest = name.partition("/")
    if top.endswith(".data"):
        scheme, _, rest = rest.partition("/")
        return rest if scheme in ("purelib", "platlib") and rest else None
    if top.endswith(".dist-info") and rest.startswith("RECORD"):
        return None
    return name


def wheel_entries(wheel: Path, site_packages: str) -> Iterator[Entry]:
    """The files a wheel installs into site_packages, read from the wheel itself.

    Executable members stay executable (0755), as pip installs them.
    """
    try:
        archive = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as error:
        raise SystemExit(
            f"layer.py: {wheel} is not a wheel (a zip archive): {error}; "
            "fetch it again (bazel clean --expunge) or check requirements_lock.txt"
        ) from error
    for member in archive.infolist():
        if member.is_dir():
            continue
        name = member.filename
        if name.startswith("/") or ".." in name.split("/"):
            raise SystemExit(f"layer.py: {wheel} holds an unsafe path {name!r}; it is not a wheel pip would install")
        path = _installed_path(name)
        if path is None:
            continue
        mode = _file_mode(member.external_attr >> 16)
        yield Entry(
            header(f"{site_packages}/{path}", tarfile.REGTYPE, mode, size=member.file_size), member=(archive, member)
        )


def spec_entries(spec: LayerSpec) -> Iterator[Entry]:
    """Every entry the spec asks for, before pruning and de-duplication."""
    for deb in spec.debs:
        yield from deb_entries(Path(deb))
    for wheel in spec.wheels:
        yield from wheel_entries(Path(wheel), spec.site_packages)
    for item in spec.files:
        src = Path(item["src"])
        mode = item.get("mode") or _file_mode(src.stat().st_mode)
        info = header(_normalize(item["dst"]), tarfile.REGTYPE, mode)
        info.size = src.stat().st_size
        yield Entry(info, src=src)
    for dst, target in sorted(spec.symlinks.items()):
        # The merged-/usr links themselves (bin -> usr/bin) keep their names.
        info = header(dst if dst in _MERGED_USR_LINKS else _normalize(dst), tarfile.SYMTYPE, 0o777)
        info.linkname = target
        yield Entry(info)
    for item in spec.dirs:
        yield Entry(
            header(
                _normalize(str(item["dst"])),
                tarfile.DIRTYPE,
                int(item.get("mode", 0o755)),
                uid=int(item.get("uid", 0)),
                gid=int(item.get("gid", 0)),
            )
        )
