"""Unit tests of tools/bench's parsing and table (the benchmark itself runs with `tools/bench`)."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import bench


class ParseProcessesTest(unittest.TestCase):
    def test_local_build(self) -> None:
        log = (
            "INFO: Elapsed time: 114.835s, Critical Path: 39.28s\n"
            "INFO: 31 processes: 20 internal, 11 processwrapper-sandbox.\n"
        )
        info = bench.parse_processes(log)
        self.assertEqual(info, {"total": 31, "internal": 20, "processwrapper-sandbox": 11, "executed": 11, "local": 11})
        self.assertEqual(bench.parse_elapsed(log), 114.835)

    def test_remote_cache_hits_and_thousands(self) -> None:
        log = "INFO: 1,234 processes: 1,200 remote cache hit, 30 internal, 4 linux-sandbox.\n"
        info = bench.parse_processes(log)
        assert info is not None
        self.assertEqual((info["total"], info["executed"], info["local"]), (1234, 1204, 4))
        self.assertEqual(bench.actions(info), "1234 actions, 4 run, 1200 cache hits")

    def test_singular_and_last_line_wins(self) -> None:
        log = "INFO: 9 processes: 9 internal.\nINFO: 1 process: 1 internal.\n"
        self.assertEqual(bench.parse_processes(log), {"total": 1, "internal": 1, "executed": 0, "local": 0})

    def test_packages_loaded(self) -> None:
        log = (
            "INFO: Analyzed 3 targets (159 packages loaded, 29774 targets configured).\n"
            "INFO: Analyzed 3 targets (2 packages loaded, 655 targets configured).\n"
        )
        self.assertEqual(bench.packages_loaded(log), 2)
        self.assertEqual(bench.packages_loaded("INFO: Analyzed target //a:b (1 package loaded)."), 1)
        self.assertEqual(bench.packages_loaded(""), 0)

    def test_no_line(self) -> None:
        self.assertIsNone(bench.parse_processes("ERROR: build failed\n"))
        self.assertEqual(bench.actions(None), "? actions")


class MedianTest(unittest.TestCase):
    def test_median_and_range(self) -> None:
        data = {"warm_seconds": 9.4, "warm_all_seconds": [9.1, 9.4, 10.2]}
        self.assertEqual(bench.median(data, "warm"), "9.4 s (median of 3: 9.1-10.2 s)")

    def test_one_run(self) -> None:
        self.assertEqual(bench.median({"warm_seconds": 9.4}, "warm"), "9.4 s")


class PushTest(unittest.TestCase):
    def test_pushed_and_existing_blobs(self) -> None:
        a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
        log = (
            f"2026/11/27 00:00:01 existing blob: {b}\n2026/11/27 00:00:02 pushed blob: {a}\n"
            f"2026/11/27 00:00:03 pushed blob: {a}\n"
        )
        self.assertEqual(bench.parse_pushed_blobs(log), ([a], 1))


class LayersTest(unittest.TestCase):
    def test_digests_and_changes(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            (directory / "app.json").write_text(json.dumps({"name": "app", "digest": "sha256:1", "diffID": "x"}))
            (directory / "app.spec.json").write_text(json.dumps({"files": []}))
            (directory / "ml_sbom.spdx.json").write_text("[]")
            before = bench.layer_digests(directory)
        self.assertEqual(before, {"app": "sha256:1"})
        after = {"app": "sha256:2", "tests": "sha256:3"}
        self.assertEqual(bench.changed_layers(before, after), ["app", "tests"])
        self.assertEqual(bench.changed_layers(after, after), [])

    def test_image_sizes_counts_shared_layers_once(self) -> None:
        def layer(name: str, size: int) -> dict[str, object]:
            return {"name": name, "digest": "sha256:" + name, "compressed": size, "uncompressed": 2 * size}

        report = {
            "images": {
                "base": {"compressed": 3, "uncompressed": 6, "layers": [layer("debian", 1), layer("app", 2)]},
                "ml": {
                    "compressed": 7,
                    "uncompressed": 14,
                    "layers": [layer("debian", 1), layer("app", 2), layer("torch", 4)],
                },
            }
        }
        sizes = bench.image_sizes(report, ["base", "ml"])
        self.assertEqual(sizes["distinct_layers"], {"compressed": 7, "uncompressed": 14, "count": 3})
        self.assertEqual(sizes["images"]["ml"]["compressed"], 7)


class HostTest(unittest.TestCase):
    def test_required_tools_follow_the_options(self) -> None:
        self.assertIn("podman", bench.required_tools(skip_seed=False, skip_container=True))
        self.assertNotIn("podman", bench.required_tools(skip_seed=True, skip_container=True))
        self.assertIn("redis-server", bench.required_tools(skip_seed=True, skip_container=False))
        for tool in bench.required_tools(skip_seed=False, skip_container=False):
            self.assertIn(tool, bench.HOST_TOOLS)

    def test_registry_blobs(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            storage = Path(tmp)
            self.assertEqual(bench.registry_blobs(storage), 0)
            for name in ("aa11", "bb22"):
                blob = storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / name[:2] / name
                blob.mkdir(parents=True)
                (blob / "data").write_bytes(b"x")
            self.assertEqual(bench.registry_blobs(storage), 2)


class CleanupTest(unittest.TestCase):
    def work_dir(self, *argv: str) -> tuple[Path, list[str]]:
        """Cleans up a bench whose work directory holds logs and what the steps make."""
        work = Path(self.enterContext(tempfile.TemporaryDirectory()))
        for name in ("logs", "vendor", "registry", "cache", "models", "seed"):
            (work / name / "sub").mkdir(parents=True)
            (work / name / "sub" / "file").write_bytes(b"x")
        ran: list[str] = []
        runner = bench.Bench(
            bench.arguments().parse_args(list(argv)), work=work, cleanups=[lambda: ran.append("server stopped")]
        )
        runner.cleanup()
        return work, ran

    def test_keeps_only_the_logs(self) -> None:
        work, ran = self.work_dir()
        self.assertEqual(sorted(entry.name for entry in work.iterdir()), ["logs"])
        self.assertEqual(ran, ["server stopped"])

    def test_keep_keeps_everything(self) -> None:
        work, _ = self.work_dir("--keep")
        self.assertEqual(len(list(work.iterdir())), 6)


class FormatTest(unittest.TestCase):
    def test_units_and_ratio(self) -> None:
        self.assertEqual(bench.mb(50_500), "50.5 kB")
        self.assertEqual(bench.mb(1_440_700_000), "1,440.7 MB")
        self.assertEqual(bench.ratio(1440.7, 249.4), "5.8x")
        self.assertEqual(bench.ratio(None, 1), "")
        self.assertEqual(bench.ratio(1, 0), "")

    def test_table(self) -> None:
        table = bench.render_table([bench.Row("SIZES"), bench.Row("ml, compressed", "225.0 MB", "678.3 MB", "3.0x")])
        lines = table.splitlines()
        self.assertEqual(len({len(line) for line in lines}), 1, table)
        self.assertIn("| ml, compressed |", table.replace("  ", " ").replace("  ", " "))
        self.assertTrue(lines[3].startswith("| SIZES "))


class OneLineChangeTest(unittest.TestCase):
    def test_restored_on_error_and_never_doubled(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "x.py"
            path.write_text('"""doc"""\n')
            with self.assertRaises(KeyboardInterrupt), bench.one_line_change(path):
                self.assertEqual(path.read_text(), '"""doc"""\n' + bench.CHANGE_LINE)
                raise KeyboardInterrupt
            self.assertEqual(path.read_text(), '"""doc"""\n')
            path.write_text('"""doc"""\n' + bench.CHANGE_LINE)  # left by a killed run
            with bench.one_line_change(path):
                self.assertEqual(path.read_text().count(bench.CHANGE_LINE), 1)
            self.assertEqual(path.read_text(), '"""doc"""\n')


if __name__ == "__main__":
    unittest.main()
