"""Tests of bytecode.py: unchecked-hash pycs beside their sources, the same bytes on every build,
used by the interpreter without a look at the source."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

from bytecode import with_bytecode
from layer_entries import Entry
from tar_header import header

# The test runs on the images' interpreter (@python3_11, the toolchain's).
PYTHON = sys.executable
TAG = sys.implementation.cache_tag
SOURCE = b'NAMES = {"alpha", "beta", "gamma"}\n\n\ndef answer():\n    return "from the source"\n'


def _file(name: str, data: bytes) -> Entry:
    return Entry(header(name, tarfile.REGTYPE, 0o644, size=len(data)), data=data)


def _link(name: str, target: str) -> Entry:
    info = header(name, tarfile.SYMTYPE, 0o777)
    info.linkname = target
    return Entry(info)


class BytecodeTest(unittest.TestCase):
    def compile(self, entries: list[Entry]) -> dict[str, bytes]:
        """{path: bytes} of the entries with_bytecode returns (its own work directory each time)."""
        with tempfile.TemporaryDirectory() as workdir:
            result = with_bytecode(entries, python=PYTHON, workdir=Path(workdir))
            files = {}
            for entry in result:
                data = entry.open()
                files[entry.info.name] = data.read() if data is not None else b""
            return files

    def test_a_pyc_beside_each_module_in_the_interpreters_cache_directory(self) -> None:
        files = self.compile([_file("app/pkg/mod.py", SOURCE), _file("app/pkg/data.txt", b"x")])
        pyc = f"app/pkg/__pycache__/mod.{TAG}.pyc"
        self.assertEqual(sorted(files), ["app/pkg/__pycache__", pyc, "app/pkg/data.txt", "app/pkg/mod.py"])
        self.assertEqual(files[pyc][:4], importlib.util.MAGIC_NUMBER)
        # PEP 552 flags: hash-based (bit 0), source not checked (bit 1 clear).
        self.assertEqual(int.from_bytes(files[pyc][4:8], "little"), 0b01)
        self.assertEqual(files[pyc][8:16], importlib.util.source_hash(SOURCE))

    def test_same_source_same_bytes_whatever_else_is_compiled(self) -> None:
        alone = self.compile([_file("a/mod.py", SOURCE)])
        crowded = self.compile(
            [_file(f"a/other{i}.py", b"import os\nX = {'alpha', 'zeta'}\n") for i in range(20)]
            + [_file("a/mod.py", SOURCE)]
        )
        pyc = f"a/__pycache__/mod.{TAG}.pyc"
        self.assertEqual(alone[pyc], crowded[pyc])

    def test_the_interpreter_loads_the_pyc_without_the_source(self) -> None:
        files = self.compile([_file("pkg/mod.py", SOURCE)])
        with tempfile.TemporaryDirectory() as root:
            for name, data in files.items():
                path = Path(root, name)
                if name.endswith("__pycache__"):
                    path.mkdir(parents=True, exist_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
            # A source that no longer matches: only an unchecked pyc still answers "from the source".
            Path(root, "pkg/mod.py").write_text("def answer():\n    return 'recompiled'\n")
            run = subprocess.run(
                [PYTHON, "-B", "-c", "from pkg import mod; print(mod.answer())"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
                env={},
            )
        self.assertEqual(run.stdout.strip(), "from the source")

    def test_a_linked_module_gets_its_pyc_beside_the_link(self) -> None:
        files = self.compile(
            [
                _file("etc/python3.11/sitecustomize.py", b"X = 1\n"),
                _link("usr/lib/python3.11/sitecustomize.py", "/etc/python3.11/sitecustomize.py"),
                _link("usr/lib/python3.11/gone.py", "missing.py"),
            ]
        )
        self.assertIn(f"usr/lib/python3.11/__pycache__/sitecustomize.{TAG}.pyc", files)
        self.assertNotIn(f"usr/lib/python3.11/__pycache__/gone.{TAG}.pyc", files)

    def test_a_file_that_is_not_python_3_is_left_without_bytecode(self) -> None:
        files = self.compile([_file("t/py2.py", b"print 'hello'\n"), _file("t/ok.py", b"X = 1\n")])
        self.assertIn(f"t/__pycache__/ok.{TAG}.pyc", files)
        self.assertNotIn(f"t/__pycache__/py2.{TAG}.pyc", files)

    def test_the_compiler_writes_no_pyc_of_its_own_imports(self) -> None:
        # Its imports' pycs are looked for (and would be written) under a fresh prefix, not the toolchain's directory.
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp, "pycache")
            python = Path(tmp, "python")
            python.write_text(f'#!/bin/sh\nexec {PYTHON} -X pycache_prefix={prefix} "$@"\n')
            python.chmod(0o755)
            with tempfile.TemporaryDirectory() as workdir:
                with_bytecode([_file("a/mod.py", SOURCE)], python=str(python), workdir=Path(workdir))
            self.assertEqual(sorted(prefix.rglob("*.pyc")), [], "the compiler wrote pycs of the modules it imports")

    def test_no_interpreter_is_a_clear_error(self) -> None:
        with tempfile.TemporaryDirectory() as workdir, self.assertRaisesRegex(SystemExit, "no --python"):
            with_bytecode([_file("a.py", b"")], python=None, workdir=Path(workdir))


if __name__ == "__main__":
    unittest.main()
