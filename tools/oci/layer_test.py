"""Tests of layer.py: deterministic layers, pruning,
one file in one layer, merged /usr, dpkg status files from real .deb structure,
wheels installed as pip installs them."""

from __future__ import annotations

import _json
import ctypes
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path

import layer
from debian_tool import library_path, tool_command

# The pinned tools oci_layer runs, and the C library they run on (BUILD.bazel
# passes their paths).
TOOLS = {
    name: os.path.abspath(os.environ[f"LAYER_TEST_{name.upper()}"]) for name in ("pigz", "zstd", "strip", "objcopy")
}
LOADER = os.path.abspath(os.environ["LAYER_TEST_LOADER"])
NUMPY_WHEEL = os.path.abspath(os.environ["LAYER_TEST_NUMPY_WHEEL"])
LIBRARIES = library_path(os.environ["LAYER_TEST_LIBRARIES"].split())


def _run_tool(name: str, *args: str, data: bytes = b"", env: dict[str, str] | None = None) -> bytes:
    """Runs a pinned tool as layer.py does; its output."""
    command = tool_command(TOOLS[name], args, loader=LOADER, libraries=LIBRARIES)
    return subprocess.run(command, input=data, capture_output=True, check=True, env=env or {}).stdout


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _wheel(path: Path, members: dict[str, bytes], executable: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100755 if name in executable else 0o100644) << 16
            archive.writestr(info, data)
    return path


def _ar(members: dict[str, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members.items():
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


class ToolsTest(unittest.TestCase):
    def test_tools_load_only_the_pinned_libraries(self) -> None:
        pinned = tuple(directory + "/" for directory in LIBRARIES.split(":"))
        for name, program in TOOLS.items():
            with self.subTest(tool=name):
                command = tool_command(program, ["--version"], loader=LOADER, libraries=LIBRARIES)
                trace = subprocess.run(command, capture_output=True, text=True, check=True, env={"LD_DEBUG": "libs"})
                loaded = re.findall(r"calling init: (\S+)", trace.stderr)
                self.assertTrue(loaded, trace.stderr)
                self.assertEqual([path for path in loaded if not path.startswith(pinned)], [])


class LayerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.deb = self.tmp / "libdemo1.deb"
        self.deb.write_bytes(
            _ar(
                {
                    "debian-binary": b"2.0\n",
                    "control.tar.gz": _tar_gz(
                        {"./control": b"Package: libdemo1\nVersion: 1.0-1\nArchitecture: amd64\n"}
                    ),
                    "data.tar.gz": _tar_gz(
                        {
                            "./lib/x86_64-linux-gnu/libdemo.so.1": b"\x7fELF-not-really",
                            "./usr/share/doc/libdemo1/copyright": b"MIT",
                            "./usr/share/doc/libdemo1/changelog.gz": b"old news",
                        }
                    ),
                }
            )
        )
        self.app = self.tmp / "main.py"
        self.app.write_text("print('hi')\n")

    def build(
        self, name: str, compression: str = "gzip", **spec: object
    ) -> tuple[dict[str, object], list[str], list[str]]:
        (self.tmp / f"{name}.spec.json").write_text(json.dumps(spec))
        args = ["--name", name, "--spec", str(self.tmp / f"{name}.spec.json"), "--compression", compression]
        args += ["--compressor", TOOLS["pigz" if compression == "gzip" else "zstd"]]
        args += ["--strip-tool", TOOLS["strip"], "--tool-loader", LOADER, "--tool-libraries", LIBRARIES]
        args += ["--python", sys.executable]
        for flag, suffix in (
            ("--blob", ".tar.gz" if compression == "gzip" else ".tar.zst"),
            ("--descriptor", ".json"),
            ("--listing", ".listing"),
            ("--pruned", ".pruned"),
        ):
            args += [flag, str(self.tmp / (name + suffix))]
        self.assertEqual(layer.main(args), 0)
        descriptor = json.loads((self.tmp / f"{name}.json").read_text())
        listing = (self.tmp / f"{name}.listing").read_text().splitlines()
        pruned = (self.tmp / f"{name}.pruned").read_text().splitlines()
        return descriptor, listing, pruned

    def test_debian_layer(self) -> None:
        descriptor, listing, pruned = self.build(
            "os",
            debs=[str(self.deb)],
            prune=["usr/share/doc/*"],
            keep=["usr/share/doc/*/copyright"],
            symlinks={"lib": "usr/lib"},
        )
        self.assertIn("usr/lib/x86_64-linux-gnu/libdemo.so.1", listing)  # merged /usr
        self.assertIn("lib", listing)
        self.assertIn("usr/share/doc/libdemo1/copyright", listing)
        self.assertEqual(pruned, ["usr/share/doc/libdemo1/changelog.gz"])
        self.assertEqual(listing, sorted(listing))
        with tarfile.open(self.tmp / "os.tar.gz") as tar:
            status = tar.extractfile("var/lib/dpkg/status.d/libdemo1")
            assert status is not None
            self.assertIn(b"Status: install ok installed\nVersion: 1.0-1", status.read())
            for member in tar.getmembers():
                self.assertEqual((member.mtime, member.uid, member.gid), (0, 0, 0))
        blob = (self.tmp / "os.tar.gz").read_bytes()
        self.assertEqual(descriptor["digest"], "sha256:" + hashlib.sha256(blob).hexdigest())
        self.assertEqual(descriptor["diffID"], "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest())

    def test_same_inputs_same_bytes(self) -> None:
        first, _, _ = self.build("a", debs=[str(self.deb)], files=[{"src": str(self.app), "dst": "app/main.py"}])
        second, _, _ = self.build("b", debs=[str(self.deb)], files=[{"src": str(self.app), "dst": "app/main.py"}])
        self.assertEqual(first["digest"], second["digest"])

    def test_a_file_lives_in_one_layer(self) -> None:
        self.build("lower", debs=[str(self.deb)])
        _, listing, _ = self.build(
            "upper",
            debs=[str(self.deb)],
            files=[{"src": str(self.app), "dst": "app/main.py"}],
            lower_listings=[str(self.tmp / "lower.listing")],
        )
        self.assertEqual(listing, ["app", "app/main.py"])

    def test_leading_slash_and_dot_slash_go_a_dot_of_a_name_stays(self) -> None:
        _, listing, _ = self.build(
            "dotted",
            files=[
                {"src": str(self.app), "dst": ".config/app.toml"},
                {"src": str(self.app), "dst": "./etc/app.conf"},
                {"src": str(self.app), "dst": "/./opt/app.py"},
            ],
            symlinks={".local/bin/app": "/app/main.py"},
            dirs=[{"dst": "./.cache", "mode": 0o700}],
        )
        for path in (".config/app.toml", "etc/app.conf", "opt/app.py", ".local/bin/app", ".cache"):
            self.assertIn(path, listing)
        self.assertNotIn("config/app.toml", listing)

    def test_wheel_installs_as_pip_installs_it(self) -> None:
        wheel = _wheel(
            self.tmp / "demo-1.0-py3-none-any.whl",
            {
                "demo/__init__.py": b"VERSION = 1\n",
                "demo/helper": b"#!/bin/sh\n",
                "demo-1.0.dist-info/METADATA": b"Name: demo\nVersion: 1.0\n",
                "demo-1.0.dist-info/RECORD": b"demo/__init__.py,sha256=x,12\n",
                "demo-1.0.data/purelib/demo_extra.py": b"pass\n",
                "demo-1.0.data/scripts/demo": b"#!python\n",
                "demo-1.0.data/data/share/man/demo.1": b".TH demo\n",
            },
            executable=("demo/helper",),
        )
        self.build("py", wheels=[str(wheel)], site_packages="usr/lib/site")
        with tarfile.open(self.tmp / "py.tar.gz") as tar:
            self.assertEqual(
                [member.name for member in tar.getmembers() if member.isfile()],
                [
                    "usr/lib/site/demo-1.0.dist-info/METADATA",
                    "usr/lib/site/demo/__init__.py",
                    "usr/lib/site/demo/helper",
                    "usr/lib/site/demo_extra.py",
                ],
            )
            self.assertEqual(tar.getmember("usr/lib/site/demo/helper").mode, 0o755)
            self.assertEqual(tar.getmember("usr/lib/site/demo/__init__.py").mode, 0o644)
            source = tar.extractfile("usr/lib/site/demo/__init__.py")
            assert source is not None
            self.assertEqual(source.read(), b"VERSION = 1\n")

    def test_shared_library_from_a_wheel_is_stripped(self) -> None:
        # A real shared library (the interpreter's own _json module) given a
        # static symbol table, as wheels ship them.
        library = self.tmp / "with_symtab.so"
        _run_tool("objcopy", "--add-symbol", "docintel_test_symbol=0", _json.__file__, str(library))
        self.assertIn(b".symtab", library.read_bytes())
        wheel = _wheel(self.tmp / "native-1.0-cp311-cp311-linux_x86_64.whl", {"native/_json.so": library.read_bytes()})
        self.build("native", wheels=[str(wheel)], strip=True)
        with tarfile.open(self.tmp / "native.tar.gz") as tar:
            source = tar.extractfile("usr/local/lib/python3.11/dist-packages/native/_json.so")
            assert source is not None
            stripped = source.read()
        self.assertEqual(stripped[:4], b"\x7fELF")
        self.assertNotIn(b".symtab", stripped)

    def test_stripped_wheel_libraries_still_load(self) -> None:
        # numpy bundles libraries that patchelf edited (auditwheel); binutils
        # 2.40 (Debian 12) strips them into files the loader refuses ("ELF load
        # command address/offset not page-aligned").
        self.build("numpy", wheels=[NUMPY_WHEEL], strip=True, prune=["*/numpy/*"])
        libraries = self.tmp / "numpy.libs"
        libraries.mkdir()
        with tarfile.open(self.tmp / "numpy.tar.gz") as tar:
            for member in tar.getmembers():
                source = tar.extractfile(member) if "/numpy.libs/" in member.name else None
                if source is not None:
                    (libraries / Path(member.name).name).write_bytes(source.read())
        openblas = next(libraries.glob("libscipy_openblas*.so"))
        ctypes.CDLL(str(openblas))  # and, through its $ORIGIN, the others

    def test_zstd_layer(self) -> None:
        descriptor, _, _ = self.build("z", compression="zstd", files=[{"src": str(self.app), "dst": "app/main.py"}])
        blob = (self.tmp / "z.tar.zst").read_bytes()
        self.assertEqual(descriptor["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd")
        self.assertEqual(descriptor["digest"], "sha256:" + hashlib.sha256(blob).hexdigest())
        tar = _run_tool("zstd", "-dc", data=blob)
        self.assertEqual(descriptor["diffID"], "sha256:" + hashlib.sha256(tar).hexdigest())
        with tarfile.open(fileobj=io.BytesIO(tar)) as members:
            self.assertEqual(members.getnames(), ["app", "app/main.py"])

    def test_bytecode_goes_into_the_layer_of_its_source(self) -> None:
        _, listing, _ = self.build("bc", bytecode=True, files=[{"src": str(self.app), "dst": "app/main.py"}])
        self.assertEqual(
            listing,
            ["app", "app/__pycache__", f"app/__pycache__/main.{sys.implementation.cache_tag}.pyc", "app/main.py"],
        )

    def test_stripping_without_a_strip_tool_is_a_clear_error(self) -> None:
        (self.tmp / "s.spec.json").write_text(json.dumps({"strip": True}))
        args = ["--name", "s", "--spec", str(self.tmp / "s.spec.json"), "--compressor", TOOLS["pigz"]]
        args += ["--tool-loader", LOADER, "--tool-libraries", LIBRARIES]
        args += [f"--{out}={self.tmp / out}" for out in ("blob", "descriptor", "listing", "pruned")]
        with self.assertRaisesRegex(SystemExit, "no --strip-tool"):
            layer.main(args)

    def test_corrupt_wheel_is_a_clear_error(self) -> None:
        wheel = self.tmp / "broken-1.0-py3-none-any.whl"
        wheel.write_bytes(b"<html>not a wheel</html>")
        with self.assertRaisesRegex(SystemExit, "is not a wheel .*fetch it again"):
            self.build("broken", wheels=[str(wheel)])

    def test_wheel_path_outside_site_packages_is_refused(self) -> None:
        wheel = _wheel(self.tmp / "evil-1.0-py3-none-any.whl", {"evil/../../etc/passwd": b"root::0:0"})
        with self.assertRaisesRegex(SystemExit, "unsafe path"):
            self.build("evil", wheels=[str(wheel)])

    def test_unknown_spec_key_is_an_error(self) -> None:
        with self.assertRaises(TypeError):
            self.build("bad", prnue=["x"])


if __name__ == "__main__":
    unittest.main()
