"""Tests of size_report: the layer size gate and report, on small synthetic OCI layouts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

import size_layers
import size_report
from oci_layout import GZIP_LAYER_TYPE
from size_testdata import APP, DEBIAN, TORCH, Fixture, layer, write_index, write_layout

SVG = "{http://www.w3.org/2000/svg}"


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


class IndexTest(Fixture):
    """An image index: one image per platform, each judged against the image's limits."""

    def test_each_platform_is_reported_and_judged(self) -> None:
        debian_arm64 = layer("debian", {"usr/lib/aarch64-linux-gnu/libc.so.6": b"arm" * 40_000})
        index = write_index(self.root / "index", {"amd64": [DEBIAN, APP], "arm64": [debian_arm64, APP]})
        argv = ["--image", f"base={index}", "--limits"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(size_report.main([*argv, str(self.limits()), "--json"]), 0)
        images = json.loads(out.getvalue())["images"]
        self.assertEqual(sorted(images), ["base (linux/amd64)", "base (linux/arm64)"])
        between = (images["base (linux/amd64)"]["uncompressed"] + images["base (linux/arm64)"]["uncompressed"]) / 2
        limits = self.limits(images={"base": {"uncompressed": between / 10**6}})
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(size_report.main([*argv, str(limits), "--check"]), 1)
        self.assertIn("FAILED: image 'base (linux/arm64)' is", out.getvalue())
        self.assertNotIn("FAILED: image 'base (linux/amd64)'", out.getvalue())


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
        self.assertEqual((torch["digest"], torch["media_type"]), (TORCH.digest, GZIP_LAYER_TYPE))
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

    def test_a_picture_outside_the_build_roots_shared_paths(self) -> None:
        with mock.patch.dict(os.environ, {"DOCINTEL_BUILD_ROOT_SHARED": str(self.root)}):
            argv = ["--image", f"ml={self.ml}", "--limits", str(self.limits()), "--svg", "/srv/size_report_test.svg"]
            self.assert_input_error(argv, "--svg /srv/size_report_test.svg is outside", "give a path under one")


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
