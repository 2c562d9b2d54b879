"""Writes one deterministic, compressed OCI image layer.

    layer.py --name NAME --spec SPEC.json --blob OUT --descriptor OUT.json
             --listing OUT.txt --pruned OUT.txt [--compression gzip|zstd]

SPEC.json says what goes in:

    {
      "files": [{"src": "path/on/disk", "dst": "usr/lib/x.so", "mode": 420}],
      "debs": ["path/to/pkg.deb"],
      "wheels": ["path/to/pkg-1.0-py3-none-any.whl"],
      "site_packages": "usr/local/lib/python3.11/dist-packages",
      "symlinks": {"bin": "usr/bin"},
      "dirs": [{"dst": "home/nonroot", "mode": 448, "uid": 65532, "gid": 65532}],
      "lower_listings": ["listing of a layer below"],
      "prune": ["usr/share/doc/*"], "keep": ["usr/share/doc/*/copyright"],
      "ca_bundle": "etc/ssl/certs/ca-certificates.crt",
      "strip": true
    }

Entries are sorted, owned by root unless a dir says otherwise, and stamped with
mtime 0, so the same inputs give the same bytes. Paths already listed by a lower
layer are left out (a file lives in exactly one layer); paths matching `prune`
(and no `keep`) are left out and written to --pruned. Debian packages are
unpacked from their data.tar, with /bin, /sbin, /lib and /lib64 folded into
/usr (merged /usr). Wheels are installed the way pip installs them into
site_packages (their purelib and platlib), straight from the locked wheel
files; their scripts, headers and data, and the RECORD of their hashes, are
left out. The descriptor holds the blob's digest and size, the
uncompressed diff_id and size, and the media type.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tar_header import header

_MERGED_USR_LINKS = ("bin", "sbin", "lib", "lib64")
_MERGED_USR = tuple(link + "/" for link in _MERGED_USR_LINKS)
_COMPRESSORS = {
    "gzip": (["pigz", "--no-name", "-6", "--processes", "2", "-c"], "tar+gzip"),
    "zstd": (["zstd", "-3", "-T2", "-q", "-c"], "tar+zstd"),
}


@dataclass(frozen=True)
class LayerSpec:
    """What goes in the layer (the --spec file; see the module docstring)."""

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

    @classmethod
    def load(cls, path: Path) -> LayerSpec:
        """Reads a spec file; unknown keys are an error."""
        return cls(**json.loads(path.read_text()))


@dataclass(frozen=True)
class Entry:
    """One tar member: its header, and where its bytes come from (a file, bytes
    in memory, or a member of an open wheel).
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
    path = path.lstrip("./")
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
    """var/lib/dpkg/status.d/<package>, as distroless images record packages,
    so scanners and our SBOM see which Debian packages an image holds.
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
    """Where pip installs a wheel member, relative to site-packages; None if it
    does not go there (scripts, headers, data) or is the RECORD of hashes.
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


def stripped(entries: list[Entry], workdir: Path) -> list[Entry]:
    """Replaces shared libraries by copies without their static symbol tables.

    Wheels ship .symtab sections the dynamic loader never reads (89 MB of
    torch's 434 MB libtorch_cpu.so); `strip --strip-unneeded` keeps .dynsym.
    """
    if shutil.which("strip") is None:
        raise SystemExit("layer.py: strip (binutils) is not installed; it shrinks shared libraries")
    result: list[Entry] = []
    for index, entry in enumerate(entries):
        if not _is_shared_library(entry):
            result.append(entry)
            continue
        src = entry.src or _extracted(entry, workdir / f"{index}.in")
        copy = workdir / f"{index}.so"
        subprocess.run(["strip", "--strip-unneeded", "-o", str(copy), str(src)], check=True)
        if entry.src is None:
            src.unlink()
        info = header(entry.info.name, tarfile.REGTYPE, entry.info.mode)
        info.size = copy.stat().st_size
        result.append(Entry(info, src=copy))
    return result


def _extracted(entry: Entry, path: Path) -> Path:
    """Writes an entry's bytes to path: strip works on files."""
    source = entry.open()
    assert source is not None
    with source, path.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return path


def _is_shared_library(entry: Entry) -> bool:
    base = entry.info.name.rpartition("/")[2]
    if not (base.endswith(".so") or ".so." in base):
        return False
    source = entry.open()
    if source is None:
        return False
    with source:
        return source.read(4) == b"\x7fELF"


def _matches(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def select(entries: Iterator[Entry], spec: LayerSpec, pruned: list[str]) -> list[Entry]:
    """Drops pruned and lower-layer paths, adds missing parent dirs, sorts."""
    prune, keep = spec.prune, spec.keep
    lower: set[str] = set()
    for listing in spec.lower_listings:
        lower.update(Path(listing).read_text().splitlines())
    chosen: dict[str, Entry] = {}
    for entry in entries:
        path = entry.info.name
        if _matches(path, prune) and not _matches(path, keep):
            pruned.append(path)
        elif path not in lower:
            chosen[path] = entry
    for path in list(chosen):
        parent = path.rpartition("/")[0]
        while parent and parent not in chosen and parent not in lower:
            chosen[parent] = Entry(header(parent, tarfile.DIRTYPE, 0o755))
            parent = parent.rpartition("/")[0]
    return [chosen[path] for path in sorted(chosen)]


def with_ca_bundle(entries: list[Entry], bundle: str) -> list[Entry]:
    """Adds the CA bundle update-ca-certificates would write, from the certs present."""
    certs = [
        e
        for e in entries
        if e.info.name.startswith("usr/share/ca-certificates/") and e.info.name.endswith(".crt") and e.data is not None
    ]
    data = b"".join(e.data for e in certs if e.data is not None)
    info = header(bundle, tarfile.REGTYPE, 0o644)
    info.size = len(data)
    by_name = {e.info.name: e for e in entries}
    by_name[bundle] = Entry(info, data=data)
    return [by_name[name] for name in sorted(by_name)]


class _HashingWriter(io.RawIOBase):
    """Feeds what tarfile writes to a hash, a byte count and a pipe."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink, self.sha256, self.size = sink, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.size += len(data)
        self.sink.write(data)
        return len(data)


def write_layer(entries: list[Entry], blob: Path, compression: str) -> dict[str, object]:
    """Streams the tar through the compressor into blob; returns the descriptor."""
    command, suffix = _COMPRESSORS[compression]
    if shutil.which(command[0]) is None:
        raise SystemExit(f"layer.py: {command[0]} is not installed; it compresses {compression} layers")
    with blob.open("wb") as out:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out)
        assert proc.stdin is not None
        writer = _HashingWriter(proc.stdin)
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for entry in entries:
                source = entry.open()
                tar.addfile(entry.info, source)
                if source is not None:
                    source.close()
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit(f"layer.py: {command[0]} failed with exit code {proc.returncode}")
    digest = hashlib.sha256()
    with blob.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return {
        "mediaType": "application/vnd.oci.image.layer.v1." + suffix,
        "digest": "sha256:" + digest.hexdigest(),
        "size": blob.stat().st_size,
        "diffID": "sha256:" + writer.sha256.hexdigest(),
        "uncompressedSize": writer.size,
    }


def main(argv: list[str]) -> int:
    """Builds the layer the arguments describe."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--blob", type=Path, required=True)
    parser.add_argument("--descriptor", type=Path, required=True)
    parser.add_argument("--listing", type=Path, required=True)
    parser.add_argument("--pruned", type=Path, required=True)
    parser.add_argument("--compression", choices=sorted(_COMPRESSORS), default="gzip")
    args = parser.parse_args(argv)

    spec = LayerSpec.load(args.spec)
    pruned: list[str] = []
    entries = select(spec_entries(spec), spec, pruned)
    if spec.ca_bundle:
        entries = with_ca_bundle(entries, spec.ca_bundle)
    with tempfile.TemporaryDirectory() as workdir:
        if spec.strip:
            entries = stripped(entries, Path(workdir))
        descriptor = write_layer(entries, args.blob, args.compression)
    descriptor["name"] = args.name
    args.descriptor.write_text(json.dumps(descriptor, indent=2, sort_keys=True) + "\n")
    args.listing.write_text("".join(e.info.name + "\n" for e in entries))
    args.pruned.write_text("".join(p + "\n" for p in sorted(pruned)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
