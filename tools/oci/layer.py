"""Writes one deterministic, compressed OCI image layer.

    layer.py --name NAME --spec SPEC.json --blob OUT --descriptor OUT.json
             --listing OUT.txt --pruned OUT.txt [--compression gzip|zstd]
             --compressor PIGZ_OR_ZSTD [--strip-tool STRIP] [--python PYTHON]
             --tool-loader LD_SO --tool-libraries DIR[:DIR...]

SPEC.json says what goes in (layer_entries.py reads it):

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
      "strip": true,
      "bytecode": true
    }

Entries are sorted, owned by root unless a dir says otherwise, and stamped with
mtime 0, so the same inputs give the same bytes. Paths already listed by a lower
layer are left out (a file lives in exactly one layer); paths matching `prune`
(and no `keep`) are left out and written to --pruned. The programs that compress
(pigz or zstd) and strip (binutils) are given by path with the C library they
run on (oci_layer passes pinned Debian builds: inputs of the action, so another
version is another cache key). With "bytecode", every Python module gets its
unchecked-hash pyc beside it, compiled by --python, the image's interpreter
(bytecode.py). The descriptor holds the blob's digest and size,
the uncompressed diff_id and size, and the media type.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bytecode import with_bytecode
from debian_tool import tool_command
from layer_entries import Entry, LayerSpec, spec_entries
from tar_header import header

# Compression: the compressor's flags (it reads stdin, writes stdout) and the
# media type's suffix.
_COMPRESSIONS = {
    "gzip": (["--no-name", "-6", "--processes", "2", "-c"], "tar+gzip"),
    "zstd": (["-3", "-T2", "-q", "-c"], "tar+zstd"),
}


@dataclass(frozen=True)
class Tools:
    """The programs a layer is made with, and the C library they run on."""

    compressor: str
    loader: str
    libraries: str
    strip: str | None = None

    def run(self, program: str, *args: str, **options: Any) -> subprocess.Popen[bytes]:
        """Starts `program` on the pinned C library, with an empty environment.

        Nothing from the caller's environment reaches it: pigz reads options
        from $PIGZ and zstd from $ZSTD_CLEVEL, which would change the bytes.
        """
        command = tool_command(program, args, loader=self.loader, libraries=self.libraries)
        return subprocess.Popen(command, env={}, **options)


def stripped(entries: list[Entry], workdir: Path, tools: Tools) -> list[Entry]:
    """Replaces shared libraries by copies without their static symbol tables.

    Wheels ship .symtab sections the dynamic loader never reads (89 MB of
    torch's 434 MB libtorch_cpu.so); `strip --strip-unneeded` keeps .dynsym.
    """
    if tools.strip is None:
        raise SystemExit("layer.py: the spec strips shared libraries but no --strip-tool (binutils strip) was given")
    result: list[Entry] = []
    for index, entry in enumerate(entries):
        if not _is_shared_library(entry):
            result.append(entry)
            continue
        src = entry.src or _extracted(entry, workdir / f"{index}.in")
        copy = workdir / f"{index}.so"
        if tools.run(tools.strip, "--strip-unneeded", "-o", str(copy), str(src)).wait() != 0:
            raise SystemExit(f"layer.py: strip failed on {entry.info.name}")
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
    """An ELF file named like a shared library (`x.so`, `x.so.1`)."""
    base = entry.info.name.rpartition("/")[2]
    if not (base.endswith(".so") or ".so." in base):
        return False
    source = entry.open()
    if source is None:
        return False
    with source:
        return source.read(4) == b"\x7fELF"


def _matches(path: str, patterns: list[str]) -> bool:
    """Whether `path` matches any of the fnmatch `patterns`."""
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


def write_layer(entries: list[Entry], blob: Path, compression: str, tools: Tools) -> dict[str, object]:
    """Streams the tar through the compressor into blob; returns the descriptor."""
    flags, suffix = _COMPRESSIONS[compression]
    with blob.open("wb") as out:
        proc = tools.run(tools.compressor, *flags, stdin=subprocess.PIPE, stdout=out)
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
            raise SystemExit(f"layer.py: {tools.compressor} failed with exit code {proc.returncode}")
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
    parser.add_argument("--compression", choices=sorted(_COMPRESSIONS), default="gzip")
    parser.add_argument("--compressor", required=True, help="pigz for gzip, zstd for zstd")
    parser.add_argument("--strip-tool", help="binutils strip, for a spec that strips shared libraries")
    parser.add_argument("--python", help="the image's python interpreter, for a spec that compiles bytecode")
    parser.add_argument("--tool-loader", required=True, help="the dynamic loader of the tools' C library")
    parser.add_argument("--tool-libraries", required=True, help="the tools' library directories, colon-separated")
    args = parser.parse_args(argv)
    tools = Tools(args.compressor, args.tool_loader, args.tool_libraries, args.strip_tool)

    spec = LayerSpec.load(args.spec)
    pruned: list[str] = []
    entries = select(spec_entries(spec), spec, pruned)
    if spec.ca_bundle:
        entries = with_ca_bundle(entries, spec.ca_bundle)
    with tempfile.TemporaryDirectory() as workdir:
        if spec.strip:
            entries = stripped(entries, Path(workdir), tools)
        if spec.bytecode:
            entries = with_bytecode(entries, python=args.python, workdir=Path(workdir))
        descriptor = write_layer(entries, args.blob, args.compression, tools)
    descriptor["name"] = args.name
    args.descriptor.write_text(json.dumps(descriptor, indent=2, sort_keys=True) + "\n")
    args.listing.write_text("".join(e.info.name + "\n" for e in entries))
    args.pruned.write_text("".join(p + "\n" for p in sorted(pruned)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
