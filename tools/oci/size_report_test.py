"""Tests of size_report: the layer size gate and report, on small synthetic OCI layouts."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import size_layers
import size_report

GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
TAR = "application/vnd.oci.image.layer.v1.tar"
SITE = "usr/local/lib/python3.11/site-packages"
SVG = "{http://www.w3.org/2000/svg}"
ZSTD_MISSING = "no zstd binary on PATH, so no zstd layer can be written or read"


def noise(size: int, seed: int) -> bytes:
    """Incompressible bytes, so compressed and uncompressed sizes are alike."""
    return random.Random(seed).randbytes(size)


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of `files` (with their parent directories)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass(frozen=True)
class Blob:
    """A layer blob ready to go into layouts: its bytes, media type and tar."""

    title: str | None
    data: bytes
    media_type: str
    tar: bytes

    @property
    def digest(self) -> str:
        """The blob's sha256 digest."""
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def layer(title: str | None, files: dict[str, bytes], media_type: str = GZIP) -> Blob:
    """A layer blob compressed as `media_type` says (gzip, zstd or plain tar)."""
    tar = tar_bytes(files)
    if media_type == GZIP:
        data = gzip.compress(tar, mtime=0)
    elif media_type == ZSTD:
        data = subprocess.run(
            [shutil.which("zstd") or "zstd", "-q", "-c"], input=tar, capture_output=True, check=True
        ).stdout
    else:
        data = tar
    return Blob(title, data, media_type, tar)


def put(directory: Path, data: bytes) -> dict[str, object]:
    """Stores a blob in a layout; returns its digest and size."""
    digest = hashlib.sha256(data).hexdigest()
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_layout(directory: Path, layers: list[Blob]) -> Path:
    """An OCI image layout with `layers`, a config and a manifest, all with true digests."""
    (directory / "oci-layout").parent.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    descriptors = []
    for blob in layers:
        annotations = {} if blob.title is None else {"org.opencontainers.image.title": blob.title}
        descriptors.append({"mediaType": blob.media_type, **put(directory, blob.data), "annotations": annotations})
    diff_ids = ["sha256:" + hashlib.sha256(blob.tar).hexdigest() for blob in layers]
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **put(directory, json.dumps(config).encode()),
        },
        "layers": descriptors,
    }
    descriptor = {"mediaType": manifest["mediaType"], **put(directory, json.dumps(manifest).encode())}
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [descriptor]}))
    return directory


DEBIAN = layer(
    "debian",
    {
        "usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0": noise(20_000, 1),
        "usr/lib/x86_64-linux-gnu/libssl.so.3": noise(6_000, 2),
        "usr/bin/python3.11": noise(4_000, 3),
        "etc/passwd": b"root:x:0:0:root:/root:/sbin/nologin\n",
    },
)
TORCH = layer(
    "torch",
    {
        f"{SITE}/torch/lib/libtorch_cpu.so": noise(60_000, 4),
        f"{SITE}/torch/__init__.py": b"# torch\n" * 100,
        f"{SITE}/torch-2.1.0+cpu.dist-info/RECORD": noise(1_000, 5),
        f"{SITE}/numpy/core/_multiarray_umath.so": noise(9_000, 6),
        f"{SITE}/numpy-1.26.4.dist-info/METADATA": noise(500, 7),
    },
)
APP = layer("app", {"app/docintel/main.py": noise(3_000, 8), "app/docintel/api.py": noise(1_000, 9)})


class Fixture(unittest.TestCase):
    """Two images in a temp dir: base = debian + app, ml = debian + torch + app (shared)."""

    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = Path(temp.name)
        self.base = write_layout(self.root / "base", [DEBIAN, APP])
        self.ml = write_layout(self.root / "ml", [DEBIAN, TORCH, APP])

    def limits(self, **sections: object) -> Path:
        """A limits file in MB with the given sections."""
        path = self.root / "limits.json"
        path.write_text(json.dumps({"unit": "MB", **sections}))
        return path

    def run_main(self, *argv: str, limits: Path | None = None) -> tuple[int, str, str]:
        """main() in-process on both images: (exit code, stdout, stderr)."""
        images = ["--image", f"base={self.base}", "--image", f"ml={self.ml}"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = size_report.main([*images, "--limits", str(limits or self.limits()), *argv])
        return code, out.getvalue(), err.getvalue()

    def report(self, limits: Path | None = None) -> dict[str, object]:
        """The --json report."""
        code, out, _ = self.run_main("--json", limits=limits)
        self.assertEqual(code, 0)
        data: dict[str, object] = json.loads(out)
        return data


class GateTest(Fixture):
    """--check passes and fails on the right limits, naming the offender."""

    def test_passes_under_limits(self) -> None:
        limits = self.limits(layer={"compressed": 1, "uncompressed": 1}, images={"ml": {"uncompressed": 1}})
        code, out, _ = self.run_main("--check", limits=limits)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines()[-1], "PASSED: 2 images, 3 layers within limits")
        self.assertNotIn("OVER", out)

    def test_fails_on_uncompressed_layer(self) -> None:
        code, out, _ = self.run_main("--check", limits=self.limits(layer={"uncompressed": 0.05}))
        self.assertEqual(code, 1, out)
        failed = [line for line in out.splitlines() if line.startswith("FAILED:")]
        self.assertEqual(len(failed), 1, out)
        self.assertIn("FAILED: layer 'torch' of image 'ml' is 0.0", failed[0])
        self.assertIn("uncompressed, over its 0.05 MB limit; largest packages: torch 0.06", failed[0])
        self.assertIn("numpy 0.0095 MB", failed[0])  # its .so and its dist-info merged
        self.assertIn("prune more in images/prune.bzl or raise the limit in", out.splitlines()[-1])
        self.assertIn("largest packages of layer 'torch'", out)

    def test_fails_on_compressed_layer(self) -> None:
        code, out, _ = self.run_main("--check", limits=self.limits(layer={"compressed": 0.05, "uncompressed": 1}))
        self.assertEqual(code, 1, out)
        self.assertIn("FAILED: layer 'torch' of image 'ml' is", out)
        self.assertIn("MB compressed, over its 0.05 MB limit; largest packages: torch", out)
        self.assertNotIn("layer 'debian' of", out)

    def test_without_check_reports_only(self) -> None:
        code, out, _ = self.run_main(limits=self.limits(layer={"uncompressed": 0.001}))
        self.assertEqual(code, 0)
        self.assertIn("OVER: layer 'debian' of images 'base', 'ml' is", out)  # shared: reported once

    def test_per_layer_override(self) -> None:
        tight_app = self.limits(layer={"uncompressed": 1}, layers={"app": {"uncompressed": 0.001}})
        code, out, _ = self.run_main("--check", limits=tight_app)
        self.assertEqual(code, 1)
        self.assertIn("FAILED: layer 'app' of images 'base', 'ml' is", out)
        self.assertIn("over its 0.001 MB limit; largest packages: app/docintel/ 0.004 MB", out)
        loose_torch = self.limits(layer={"uncompressed": 0.05}, layers={"torch": {"uncompressed": 0.1}})
        self.assertEqual(self.run_main("--check", limits=loose_torch)[0], 0)

    def test_override_keeps_other_default_field(self) -> None:
        limits = self.limits(layer={"compressed": 0.001, "uncompressed": 1}, layers={"torch": {"uncompressed": 2}})
        data = self.report(limits)
        torch = data["images"]["ml"]["layers"][1]  # type: ignore[index]
        self.assertEqual(torch["limits"], {"compressed": 1000, "uncompressed": 2_000_000})

    def test_image_total(self) -> None:
        ml = self.report()["images"]["ml"]  # type: ignore[index]
        limit = (ml["uncompressed"] - 1) / 10**6
        code, out, _ = self.run_main("--check", limits=self.limits(images={"ml": {"uncompressed": limit}}))
        self.assertEqual(code, 1)
        self.assertIn("FAILED: image 'ml' is", out)
        self.assertIn("largest layers: torch", out)
        self.assertNotIn("image 'base' is", out)

    def test_total_counts_shared_layer_once(self) -> None:
        data = self.report()
        distinct = {DEBIAN.digest: DEBIAN, TORCH.digest: TORCH, APP.digest: APP}
        once = sum(len(blob.data) for blob in distinct.values())
        totals = data["totals"]
        self.assertEqual(totals["compressed"], once)  # type: ignore[index]
        self.assertEqual(totals["uncompressed"], sum(len(b.tar) for b in distinct.values()))  # type: ignore[index]
        shared = {s["name"]: s["images"] for s in data["shared_layers"]}  # type: ignore[attr-defined]
        self.assertEqual(shared, {"debian": ["base", "ml"], "app": ["base", "ml"]})
        twice = once + len(DEBIAN.data) + len(APP.data)
        between = self.limits(total={"compressed": (once + twice) / 2 / 10**6})
        self.assertEqual(self.run_main("--check", limits=between)[0], 0)
        below = self.limits(total={"compressed": (once - 1) / 10**6})
        code, out, _ = self.run_main("--check", limits=below)
        self.assertEqual(code, 1)
        self.assertIn("FAILED: all images together (shared layers once) are", out)

    def test_shared_layer_is_read_once(self) -> None:
        with mock.patch.object(size_layers, "measure", wraps=size_layers.measure) as measure:
            self.run_main()
        self.assertEqual(sorted(call.args[0].name for call in measure.call_args_list), ["app", "debian", "torch"])

    def test_progress_for_large_layers(self) -> None:
        with mock.patch.object(size_layers, "PROGRESS_BYTES", 50_000):
            _, _, err = self.run_main()
        self.assertRegex(err, r"reading layer torch \(0 MB\) \.\.\.")
        self.assertNotIn("reading layer debian", err)

    def test_text_table(self) -> None:
        _, out, _ = self.run_main(limits=self.limits(layer={"compressed": 0.2, "uncompressed": 0.6}))
        self.assertIn("image 'ml': 3 layers", out)
        header = next(line for line in out.splitlines() if "uncompressed MB" in line)
        row = next(line for line in out.splitlines() if " torch " in line)
        self.assertEqual(header.index("status"), row.index("ok"))  # aligned columns
        self.assertIn(TORCH.digest[7:19], row)
        self.assertIn("0.2/0.6", row)
        self.assertIn("all images: 3 distinct layers", out)
        self.assertIn(f"debian ({DEBIAN.digest[7:19]}): base, ml", out)


class OutputTest(Fixture):
    """--json and the SVG/HTML pictures."""

    def test_json_matches(self) -> None:
        code, out, err = self.run_main("--json", "--check", limits=self.limits(layer={"uncompressed": 0.05}))
        self.assertEqual(code, 1)
        data = json.loads(out)  # nothing but JSON on stdout
        self.assertIn("FAILED: layer 'torch'", err)
        layers = data["images"]["ml"]["layers"]
        self.assertEqual([x["name"] for x in layers], ["debian", "torch", "app"])
        torch = layers[1]
        self.assertEqual((torch["digest"], torch["media_type"]), (TORCH.digest, GZIP))
        self.assertEqual((torch["compressed"], torch["uncompressed"]), (len(TORCH.data), len(TORCH.tar)))
        self.assertEqual(torch["limits"], {"compressed": None, "uncompressed": 50_000})
        self.assertTrue(torch["over"])
        self.assertEqual(torch["top_packages"][0], {"name": "torch", "size": 61_800})
        self.assertEqual(torch["top_packages"][1], {"name": "numpy", "size": 9_500})
        self.assertEqual(data["images"]["ml"]["uncompressed"], sum(x["uncompressed"] for x in layers))
        self.assertEqual(
            [(v["kind"], v["subject"], v["metric"]) for v in data["violations"]], [("layer", "torch", "uncompressed")]
        )
        self.assertFalse(data["passed"])

    def test_svg_and_html(self) -> None:
        svg, page = self.root / "out.svg", self.root / "out.html"
        limits = self.limits(layer={"uncompressed": 0.05}, images={"ml": {"uncompressed": 0.2, "compressed": 0.2}})
        code, _, _ = self.run_main("--svg", str(svg), "--html", str(page), limits=limits)
        self.assertEqual(code, 0)
        root = ET.fromstring(svg.read_text())
        self.assertEqual(root.tag, f"{SVG}svg")
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        for name in ("debian", "torch", "app", "base", "ml"):
            self.assertIn(name, texts)
        red = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#d62728"]
        self.assertTrue(any("torch" in (r.findtext(f"{SVG}title") or "") for r in red))
        self.assertTrue(any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line")))  # limit marker
        self.assertIn(svg.read_text().strip(), page.read_text())

    def test_svg_escapes_labels(self) -> None:
        odd = write_layout(self.root / "odd", [layer("a<b>&\"c'", {"x/y/z": b"1"})])
        svg = self.root / "odd.svg"
        argv = ["--image", f"odd<&>={odd}", "--limits", str(self.limits()), "--svg", str(svg)]
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(size_report.main(argv), 0)
        texts = " ".join(t.text or "" for t in ET.fromstring(svg.read_text()).iter(f"{SVG}text"))
        self.assertIn("a<b>&\"c'", texts)
        self.assertIn("odd<&>", texts)


class InputTest(Fixture):
    """Invalid input exits 2 with one line saying what is wrong."""

    def assert_input_error(self, argv: list[str], *needles: str) -> None:
        """main(argv) exits 2 with one stderr line containing `needles`."""
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            self.assertEqual(size_report.main(argv), 2)
        self.assertEqual(len(err.getvalue().splitlines()), 1, err.getvalue())
        for needle in needles:
            self.assertIn(needle, err.getvalue())

    def test_corrupt_blob(self) -> None:
        blob = self.ml / "blobs" / "sha256" / TORCH.digest[7:]
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0xFF
        blob.write_bytes(bytes(data))
        argv = ["--image", f"ml={self.ml}", "--limits", str(self.limits())]
        self.assert_input_error(argv, f"blob {TORCH.digest}", "does not match its digest", "'torch'")

    def test_unknown_limits_key(self) -> None:
        argv = ["--image", f"ml={self.ml}", "--limits"]
        typo = self.root / "typo.json"
        typo.write_text(json.dumps({"unit": "MB", "layers": {"app": {"uncompresed": 1}}}))
        self.assert_input_error([*argv, str(typo)], 'unknown key "layers.app.uncompresed"')
        typo.write_text(json.dumps({"unit": "MB", "totals": {}}))
        self.assert_input_error([*argv, str(typo)], 'unknown key "totals"')

    def test_bad_limits(self) -> None:
        argv = ["--image", f"ml={self.ml}", "--limits"]
        bad = self.root / "bad.json"
        bad.write_text("{not json")
        self.assert_input_error([*argv, str(bad)], "not valid JSON")
        bad.write_text(json.dumps({"unit": "GB"}))
        self.assert_input_error([*argv, str(bad)], '"unit" must be "MB" or "MiB"')
        bad.write_text(json.dumps({"unit": "MB", "layer": {"compressed": "5"}}))
        self.assert_input_error([*argv, str(bad)], '"layer.compressed" must be a number')
        self.assert_input_error([*argv, str(self.root / "none.json")], "does not exist")

    def test_bad_layouts(self) -> None:
        limits = ["--limits", str(self.limits())]
        self.assert_input_error(["--image", f"x={self.root / 'nope'}", *limits], "no such directory")
        (self.root / "empty").mkdir()
        self.assert_input_error(["--image", f"x={self.root / 'empty'}", *limits], "not an OCI image layout")
        (self.ml / "blobs" / "sha256" / APP.digest[7:]).unlink()
        self.assert_input_error(["--image", f"ml={self.ml}", *limits], f"blob {APP.digest}", "missing")
        self.assert_input_error(["--image", f"a={self.base}", "--image", f"a={self.base}", *limits], "twice")


class LayerTest(unittest.TestCase):
    """Measuring layers: media types, missing titles, package grouping."""

    def measure(self, blob: Blob) -> size_layers.Contents:
        """Writes `blob` into a layout and measures it."""
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_image("x", write_layout(Path(temp), [blob]))
            return size_layers.measure(image.layers[0])

    def test_plain_tar_and_missing_title(self) -> None:
        blob = layer(None, {"opt/tool/bin/run": b"x" * 10}, TAR)
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_image("x", write_layout(Path(temp), [blob]))
        self.assertEqual(image.layers[0].name, blob.digest[7:19])
        self.assertEqual(self.measure(blob), size_layers.Contents(len(blob.tar), {"opt/tool/": 10}))

    @unittest.skipUnless(shutil.which("zstd"), ZSTD_MISSING)
    def test_zstd_layer(self) -> None:
        blob = layer("torch", {f"{SITE}/torch/x.so": noise(5_000, 10), "usr/share/doc/a/b": b"c"}, ZSTD)
        packages = {"torch": 5_000, "usr/share/doc/": 1}
        self.assertEqual(self.measure(blob), size_layers.Contents(len(blob.tar), packages))

    @unittest.skipUnless(shutil.which("zstd"), ZSTD_MISSING)
    def test_corrupt_zstd_layer_names_the_blob(self) -> None:
        good = layer("torch", {"a/b/c": noise(5_000, 11)}, ZSTD)
        bad = Blob("torch", good.data[:20] + bytes(len(good.data) - 20), ZSTD, good.tar)
        with tempfile.TemporaryDirectory() as temp:
            directory = write_layout(Path(temp), [good])
            (directory / "blobs" / "sha256" / good.digest[7:]).write_bytes(bad.data)
            image = size_layers.read_image("x", directory)
            with self.assertRaisesRegex(size_layers.InputError, f"blob {good.digest} .* does not match"):
                size_layers.measure(image.layers[0])

    def test_zstd_binary_missing(self) -> None:
        blob = Blob("z", b"\x28\xb5\x2f\xfd", ZSTD, b"")
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_image("x", write_layout(Path(temp), [blob]))
            missing = self.assertRaisesRegex(size_layers.InputError, "no zstd binary is on PATH")
            with mock.patch.object(shutil, "which", return_value=None), missing:
                size_layers.measure(image.layers[0])

    def test_package_of(self) -> None:
        cases = {
            f"{SITE}/torch/lib/libtorch.so": "torch",
            f"{SITE}/Jinja2-3.1.2.dist-info/RECORD": "jinja2",
            f"{SITE}/six.py": "six",
            f"{SITE}/numpy.libs/libgfortran.so": "numpy",
            "usr/lib/python3/dist-packages/yaml/__init__.py": "yaml",
            "usr/lib/x86_64-linux-gnu/libc.so.6": "usr/lib/x86_64-linux-gnu/",
            "./usr/share/zoneinfo/Etc/UTC": "usr/share/zoneinfo/",
            "usr/bin/python3.11": "usr/bin/",
            "usr/local/bin/uvicorn": "usr/local/",
            "app/docintel/api/routes.py": "app/docintel/",
            "app/main.py": "app/",
            "README": "/",
        }
        for path, package in cases.items():
            self.assertEqual(size_layers.package_of(path), package, path)


class CommandLineTest(Fixture):
    """The script as a program."""

    def test_subprocess_check_fails(self) -> None:
        argv = ["--image", f"base={self.base}", "--image", f"ml={self.ml}", "--check"]
        script = Path(size_report.__file__).resolve()
        limits = self.limits(layer={"uncompressed": 0.05})
        run = subprocess.run(
            [sys.executable, str(script), *argv, "--limits", str(limits)],
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
        )
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("FAILED: layer 'torch' of image 'ml'", run.stdout)
        self.assertEqual(run.stderr, "")


if __name__ == "__main__":
    unittest.main()
