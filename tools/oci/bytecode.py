"""Bytecode for a layer's Python modules, in the layer that holds their source.

    entries = with_bytecode(entries, python="path/to/python3.11", workdir=tmp)

Each `.py` entry gets `__pycache__/<module>.<cache tag>.pyc` beside it. The
pycs are "unchecked-hash" pycs (PEP 552): they hold a hash of the source, not
its mtime, and the interpreter loads them without looking at the source again.
So they are the same bytes on every build, and a container on a read-only root
file system starts without compiling anything.

They are compiled by the image's own interpreter (its magic number and cache tag
are the ones the image looks for), in a fresh `python -S` process with a fixed
hash seed and no other environment: the bytes of a pyc depend on the interpreter
and the source only, not on this tool's own imports (marshal marks objects by
their reference counts) nor on the order files are compiled in. That process
writes no pyc of its own imports (PYTHONDONTWRITEBYTECODE), so nothing lands in
the interpreter's toolchain directory. It is this file run as a script:

    python3.11 -S bytecode.py JOBS.json OUT_DIR

JOBS.json lists {"source": file on disk, "path": its path in the image}; each
pyc goes to OUT_DIR/<its path in the image>. A source that is not valid Python
for this interpreter (a template or a Python 2 file some wheels ship) is left
without bytecode, as pip leaves it.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
import sys
import tarfile
from pathlib import Path

# Imported by layer.py; run alone by the image's interpreter, which only needs the standard library.
if __name__ != "__main__":
    from layer_entries import Entry
    from tar_header import header


def with_bytecode(entries: list[Entry], *, python: str | None, workdir: Path) -> list[Entry]:
    """The entries plus a pyc (and its `__pycache__` directory) for every `.py` file, sorted by path."""
    if python is None:
        raise SystemExit("layer.py: the spec compiles bytecode but no --python (the image's interpreter) was given")
    sources = workdir / "sources"
    compiled = workdir / "compiled"
    sources.mkdir()
    by_name = {entry.info.name: entry for entry in entries}
    jobs = []
    for index, entry in enumerate(entries):
        module = _module_file(entry, by_name)
        data = module.open() if module is not None else None
        if data is None:
            continue
        source = sources / f"{index}.py"
        with data:
            source.write_bytes(data.read())
        jobs.append({"source": str(source), "path": "/" + entry.info.name})
    if not jobs:
        return entries
    (workdir / "jobs.json").write_text(json.dumps(jobs))
    command = [python, "-S", __file__, str(workdir / "jobs.json"), str(compiled)]
    env = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"layer.py: compiling bytecode with {python} failed:\n{result.stderr[-2000:]}")
    for pyc in sorted(compiled.rglob("*.pyc")):
        name = pyc.relative_to(compiled).as_posix()
        by_name[name] = Entry(header(name, tarfile.REGTYPE, 0o644, size=pyc.stat().st_size), src=pyc)
        cache_dir = name.rpartition("/")[0]
        by_name.setdefault(cache_dir, Entry(header(cache_dir, tarfile.DIRTYPE, 0o755)))
    for source in sources.iterdir():
        source.unlink()
    return [by_name[name] for name in sorted(by_name)]


def _module_file(entry: Entry, by_name: dict[str, Entry]) -> Entry | None:
    """The file holding a `.py` entry's source: itself, or what it links to in this layer.

    Debian's /usr/lib/python3.11/sitecustomize.py is a link to
    /etc/python3.11/sitecustomize.py, and Python looks for its pyc beside the link.
    """
    if not entry.info.name.endswith(".py"):
        return None
    if entry.info.issym():
        base = "" if entry.info.linkname.startswith("/") else posixpath.dirname(entry.info.name)
        target = by_name.get(posixpath.normpath(posixpath.join(base, entry.info.linkname)).lstrip("/"))
        return target if target is not None and target.info.isfile() else None
    return entry if entry.info.isfile() else None


def _compile(jobs_file: str, out_dir: str) -> int:
    """Compiles each job's source to OUT_DIR/<cache path of its image path>; skips what does not compile."""
    import importlib.util
    import py_compile

    for job in json.loads(Path(jobs_file).read_text()):
        target = out_dir + importlib.util.cache_from_source(job["path"])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            py_compile.compile(
                job["source"],
                cfile=target,
                dfile=job["path"],
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        except (py_compile.PyCompileError, ValueError):
            continue
    return 0


if __name__ == "__main__":
    sys.exit(_compile(*sys.argv[1:3]))
