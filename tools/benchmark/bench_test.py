"""Unit tests of tools/bench's parsing, results and table (the benchmark itself runs with `tools/bench`)."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import bench
import podman_store
import registry
import session
import table
from bazel_log import Processes, packages_loaded, parse_elapsed, parse_processes
from commands import BenchError, Run, host
from oci_layout import CONFIG_TYPE, MANIFEST_TYPE, TITLE, Descriptor, Layout, canonical_json
from results import Build, Push, Results
from steps import (
    cold_build,
    compression,
    container_start,
    embedders,
    load_change,
    noop_build,
    one_line_change,
    push,
    push_from_cache,
    remote_cache,
    seed_build,
    sizes,
    startup,
)


class ParseProcessesTest(unittest.TestCase):
    def test_local_build(self) -> None:
        log = (
            "INFO: Elapsed time: 114.835s, Critical Path: 39.28s\n"
            "INFO: 31 processes: 20 internal, 11 processwrapper-sandbox.\n"
        )
        info = parse_processes(log)
        self.assertEqual(info, Processes(31, {"internal": 20, "processwrapper-sandbox": 11}))
        assert info is not None
        self.assertEqual((info.executed, info.local), (11, 11))
        self.assertEqual(parse_elapsed(log), 114.835)

    def test_remote_cache_hits_and_thousands(self) -> None:
        info = parse_processes("INFO: 1,234 processes: 1,200 remote cache hit, 30 internal, 4 linux-sandbox.\n")
        assert info is not None
        self.assertEqual((info.total, info.executed, info.local, info.cache_hits), (1234, 1204, 4, 1200))
        self.assertEqual(table.actions(info), "1234 actions, 4 run, 1200 cache hits")

    def test_singular_and_last_line_wins(self) -> None:
        info = parse_processes("INFO: 9 processes: 9 internal.\nINFO: 1 process: 1 internal.\n")
        self.assertEqual(info, Processes(1, {"internal": 1}))
        self.assertEqual(table.actions(info), "1 action, 0 run")

    def test_packages_loaded(self) -> None:
        log = (
            "INFO: Analyzed 3 targets (159 packages loaded, 29774 targets configured).\n"
            "INFO: Analyzed 3 targets (2 packages loaded, 655 targets configured).\n"
        )
        self.assertEqual(packages_loaded(log), 2)
        self.assertEqual(packages_loaded("INFO: Analyzed target //a:b (1 package loaded)."), 1)
        self.assertEqual(packages_loaded(""), 0)

    def test_no_line(self) -> None:
        self.assertIsNone(parse_processes("ERROR: build failed\n"))
        self.assertEqual(table.actions(None), "? actions")


class FormatTest(unittest.TestCase):
    def test_units_and_ratio(self) -> None:
        self.assertEqual(table.mb(50_500), "50.5 kB")
        self.assertEqual(table.mb(1_440_700_000), "1,440.7 MB")
        self.assertEqual(table.ratio(1440.7, 249.4), "5.8x")
        self.assertEqual(table.ratio(1053.2, 0.055), "19,149x")
        self.assertEqual(table.ratio(None, 1), "")
        self.assertEqual(table.ratio(1, 0), "")
        self.assertEqual(table.count_word(3), "three")
        self.assertEqual(table.count_word(12), "12")

    def test_median(self) -> None:
        self.assertEqual(table.median_text(9.4, [9.1, 9.4, 10.2]), "9.4 s (median of 3: 9.1-10.2 s)")
        self.assertEqual(table.median_text(9.4, [9.4]), "9.4 s")

    def test_table_is_aligned(self) -> None:
        rendered = table.render_table([table.Row("SIZES"), table.Row("ml, compressed", "225.0 MB", "678.3 MB", "3.0x")])
        lines = rendered.splitlines()
        self.assertEqual(len({len(line) for line in lines}), 1, rendered)
        self.assertIn("| ml, compressed |", rendered.replace("  ", " ").replace("  ", " "))
        self.assertTrue(lines[3].startswith("| SIZES "))


def write_image(path: Path, layers: dict[str, bytes]) -> Path:
    """A layout whose manifest lists `layers` (title -> bytes)."""
    layout = Layout.create(path)
    descriptors = []
    for title, data in layers.items():
        blob = layout.put("application/vnd.oci.image.layer.v1.tar+gzip", data)
        descriptors.append(Descriptor(blob.media_type, blob.digest, blob.size, {TITLE: title}).to_json())
    config = layout.put(CONFIG_TYPE, b"{}").to_json()
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": config, "layers": descriptors}
    layout.write_index([layout.put(MANIFEST_TYPE, canonical_json(manifest))])
    return path


class ChangeTest(unittest.TestCase):
    def test_layer_digests_from_layouts_and_changes(self) -> None:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        base = write_image(root / "base", {"debian": b"d", "app": b"a1"})
        ml = write_image(root / "ml", {"debian": b"d", "app": b"a1", "torch": b"t"})
        before = one_line_change.layer_digests([base, ml])
        self.assertEqual(sorted(before), ["app", "debian", "torch"])
        write_image(root / "base", {"debian": b"d", "app": b"a2"})
        write_image(root / "ml", {"debian": b"d", "app": b"a2", "torch": b"t"})
        self.assertEqual(one_line_change.changed_layers(before, one_line_change.layer_digests([base, ml])), ("app",))
        self.assertEqual(one_line_change.changed_layers(before, {"app": "x"}), ("app", "debian", "torch"))

    def test_change_restored_on_error_and_never_doubled(self) -> None:
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "x.py"
        path.write_text('"""doc"""\n')
        line = one_line_change.CHANGE_LINE
        with self.assertRaises(KeyboardInterrupt), one_line_change.OneLineChange(path):
            self.assertEqual(path.read_text(), '"""doc"""\n' + line)
            raise KeyboardInterrupt
        self.assertEqual(path.read_text(), '"""doc"""\n')
        path.write_text('"""doc"""\n' + line)  # left by a killed run
        with one_line_change.OneLineChange(path):
            self.assertEqual(path.read_text().count(line), 1)
        self.assertEqual(path.read_text(), '"""doc"""\n')

    def test_push_from_the_push_report(self) -> None:
        blobs = [
            {"digest": "sha256:" + "a" * 64, "size": 1000, "action": "uploaded"},
            {"digest": "sha256:" + "b" * 64, "size": 20, "action": "uploaded"},
            {"digest": "sha256:" + "c" * 64, "size": 5000, "action": "mounted"},
            {"digest": "sha256:" + "d" * 64, "size": 7000, "action": "present"},
        ]
        self.assertEqual(push.push_from_report({"blobs": blobs}, 2.0, 1100), Push(2.0, 1020, 2, 1100, 2))


class LoadOutputTest(unittest.TestCase):
    def test_copied_layers_and_reported_seconds(self) -> None:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        layout = Layout(write_image(root / "ml", {"torch": b"t" * 10, "app": b"a" * 3}))
        output = (
            "oci_load: docintel/ml:latest into podman 4.3.1\n"
            "  skipped torch   0.0 MB  (podman has it)\n"
            "  copied  app     0.0 MB\n"
            "oci_load: loaded docintel/ml:latest (image 0123456789ab) in 0.9 s: copied 1 layer (0.0 MB), skipped 1\n"
        )
        run = Run(2.5, "", root / "log", stdout=output)
        self.assertEqual(load_change.parse_load(run, layout), load_change.Load(2.5, 0.9, ("app",), 3))
        with self.assertRaisesRegex(BenchError, "no 'oci_load: loaded' line"):
            load_change.parse_load(Run(1.0, "ERROR: no engine", root / "log"), layout)


class StepSelectionTest(unittest.TestCase):
    def selected(self, *argv: str) -> set[str]:
        return bench.selected(bench.options(list(argv)))

    def test_only_adds_the_cold_build_and_what_a_step_needs(self) -> None:
        self.assertEqual(self.selected("--only", "startup"), {"cold_build", "startup", "container_start"})
        self.assertEqual(self.selected(), {step.key for step in bench.STEPS})
        self.assertEqual(
            self.selected("--only", "one_line_change"), {"cold_build", "one_line_change", "push", "seed_build"}
        )
        self.assertEqual(
            self.selected("--only", "push_from_cache"), {"cold_build", "push_from_cache", "remote_cache", "push"}
        )
        with self.assertRaisesRegex(BenchError, "no step nope"):
            self.selected("--only", "nope")

    def test_only_a_step_a_skip_flag_leaves_out_is_an_error(self) -> None:
        with self.assertRaisesRegex(BenchError, "--only startup asks for what --skip-container leaves out"):
            self.selected("--skip-container", "--only", "push,startup")
        self.assertIn("push", self.selected("--skip-container", "--only", "push"))

    def test_empty_store_mounts_are_found_deepest_first(self) -> None:
        self.assertEqual(podman_store.mounts_under(Path("/nonexistent-docintel")), [])
        self.assertIn("/proc", podman_store.mounts_under(Path("/proc")))


class MainTest(unittest.TestCase):
    def test_an_unexpected_error_still_prints_and_writes_the_finished_steps(self) -> None:
        report = Path(self.enterContext(tempfile.TemporaryDirectory())) / "bench.json"

        def steps(runner: session.Bench, results: Results, _keys: set[str]) -> None:
            runner.note_load("cold_build")
            results.add("cold_build", cold_build.ColdBuild(build(98.0)))
            raise KeyError("images")

        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch.object(signal, "signal"),
            mock.patch.multiple(session.Bench, preflight=mock.DEFAULT, setup=mock.DEFAULT),
            mock.patch.object(bench, "run_steps", steps),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            self.assertEqual(bench.main(["--json", str(report)]), 1)
        self.assertIn("98.0 s, 31 actions, 11 run", out.getvalue())
        self.assertEqual(json.loads(report.read_text())["results"]["cold_build"]["build"]["seconds"], 98.0)
        self.assertIn("tools/bench: error: unexpected KeyError (above): 'images'", err.getvalue())


class HostTest(unittest.TestCase):
    def test_a_failed_helper_raises_with_its_stderr(self) -> None:
        script = ["sh", "-c", "echo 'fix: free the port' >&2; exit 3"]
        with self.assertRaisesRegex(BenchError, "failed \\(exit 3\\):\nfix: free the port"):
            host(script, check=True)
        self.assertEqual(host(script).returncode, 3)

    def test_registry_blobs(self) -> None:
        storage = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.assertEqual(registry.registry_blobs(storage), 0)
        for name in ("aa11", "bb22"):
            blob = storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / name[:2] / name
            blob.mkdir(parents=True)
            (blob / "data").write_bytes(b"x")
        self.assertEqual(registry.registry_blobs(storage), 2)


def build(seconds: float, total: int = 31, sandbox: int = 11, hits: int = 0, analysis: float | None = None) -> Build:
    kinds = {"internal": total - sandbox - hits, "linux-sandbox": sandbox} | (
        {"remote cache hit": hits} if hits else {}
    )
    return Build(seconds, seconds, Processes(total, kinds), analysis)


def layer(name: str, compressed: int, uncompressed: int) -> sizes.LayerSize:
    return sizes.LayerSize(name, "sha256:" + name, compressed, uncompressed)


class TableTest(unittest.TestCase):
    """The table from typed results: the rows (and their order) README's figures come from."""

    def results(self) -> Results:
        debian, app, torch = (
            layer("debian", 13_400_000, 38_400_000),
            layer("app", 50_000, 230_000),
            layer("torch", 1, 2),
        )
        ours = sizes.SizeSet(
            {
                "base": sizes.ImageSize(13_450_000, 38_630_000, (debian, app)),
                "ml": sizes.ImageSize(13_450_001, 38_630_002, (debian, app, torch)),
            }
        )
        seed = sizes.SizeSet({"seed": sizes.ImageSize(1_000_000_000, 2_000_000_000, (layer("rootfs", 5, 6),))})
        seed_push = Push(60.0, 1_071_800_000, 5, 1_071_900_000)
        change_push = Push(1.0, 55_000, 4, 57_300, existing_blobs=7)
        results = Results()
        results.images = ("base", "ml")
        results.add("cold_build", cold_build.ColdBuild(build(98.0, analysis=78.0)))
        results.add("noop_build", noop_build.NoopBuild(build(0.7, sandbox=0)))
        results.add("push", push.FirstPush(Push(30.0, 249_400_000, 11, 249_500_000, existing_blobs=0)))
        results.add("seed_build", seed_build.SeedBuild(97.6, seed_push))
        results.add("sizes", sizes.Sizes(ours, seed))
        results.add("container_start", container_start.ContainerStarts({"ml": container_start.Starts(5.0, 9.4, 3.6)}))
        seed_change = one_line_change.SeedChange(
            102.9, ("app", "usr/local"), Push(50.0, 1_053_200_000, 4, 1_053_300_000)
        )
        results.add(
            "one_line_change", one_line_change.Change(build(1.3, sandbox=4), ("app",), change_push, seed_change)
        )
        expunge = remote_cache.Rebuilds(build(8.1, hits=11, sandbox=0, analysis=7.0), (7.9, 8.1, 8.1))
        clean = remote_cache.Rebuilds(build(3.3, hits=11, sandbox=0), (3.2, 3.3, 3.7))
        results.add("remote_cache", remote_cache.RemoteCache(build(40.0), 300_000_000, clean, expunge))
        results.add("startup", startup.Startup({"ml": startup.Starts((2.9, 2.5, 2.7), (6.1, 6.0, 6.4))}))
        ml = embedders.Embedding(11.7, 182.0, 452.0, 7.6, 128.0, 497e6, 619e6)
        onnx = embedders.Embedding(23.4, 35.0, 68.0, 0.4, 128.0, 246e6, 406e6)
        results.add("embedders", embedders.Embedders({"ml": ml, "ml_onnx": onnx}))
        first = load_change.Load(5.0, 0.4, (), 0)
        change_loads = tuple(load_change.Load(s, 0.9, ("app",), 210_000) for s in (2.4, 2.2, 2.9))
        results.add(
            "load_change",
            load_change.LoadChanges({"ml": load_change.ImageLoads(first, change_loads, 24.0, 312_000_000)}),
        )
        pull = {
            "gzip": tuple(compression.PullStart(p, 3.0) for p in (10.0, 11.0, 12.0)),
            "zstd": tuple(compression.PullStart(p, 3.0) for p in (6.0, 7.0, 8.0)),
        }
        sizes_both = {"gzip": {"base": 47_900_000, "ml": 311_700_000}, "zstd": {"base": 43_100_000, "ml": 269_300_000}}
        results.add("compression", compression.Compressions(sizes_both, {"ml": pull}))
        lazy = push_from_cache.PushFromCache(9.5, 0, 2_100_000, 64_000, 41_000_000, 380_000, 250_000_000, 1_200_000_000)
        results.add("push_from_cache", lazy)
        return results

    def test_rows_in_order(self) -> None:
        labels = [row.label for row in bench.table_rows(self.results())]
        self.assertEqual(
            labels,
            [
                "cold build of base+ml, nothing cached",
                "  of it: downloads, fetching repositories, analysis",
                "no-op rebuild",
                "one-line change in service/: rebuild",
                "  layers whose digest changed",
                "remote cache, after clean: build+upload -> rebuild",
                "remote cache, after clean --expunge (vendored repos)",
                "  of it: fetching repositories + analysis",
                "seed image: podman build --no-cache (wheels at hand)",
                "image base vs the seed's image, MB compr. / uncompr.",
                "image ml vs the seed's image, MB compr. / uncompr.",
                "all two (distinct layers) vs the seed's image",
                "layers, MB compressed/uncompressed",
                "",
                "first push (ours: all two), bytes uploaded",
                "push after the one-line change",
                "push from the cache after a one-line change (9.5 s, build and push)",
                "  blobs downloaded from the cache (old way)",
                "  other bytes from the cache: action results, metadata",
                "  bytes uploaded to the registry (its count)",
                "  output base after build and push (old way)",
                "  bytes the commit added to the cache",
                "ml: podman run -> /readyz 200, model fetched",
                "ml: podman run -> /readyz 200, model cached",
                "ml: fresh read-only container -> /readyz, bytecode in the image",
                "ml: embedding throughput, batches of 32 texts of 128 tokens",
                "ml: single-query embed latency p50 (p90)",
                "ml: service memory (VmRSS) once ready / after a 32-chunk ingest",
                "ml: model load in a fresh process",
                "ml_onnx: embedding throughput, batches of 32 texts of 128 tokens",
                "ml_onnx: single-query embed latency p50 (p90)",
                "ml_onnx: service memory (VmRSS) once ready / after a 32-chunk ingest",
                "ml_onnx: model load in a fresh process",
                "one-line change, then `bazel run //images:ml_load`",
                "  layers copied into podman",
                "images, MB compressed: gzip / zstd",
                "ml: pull into an empty store + start -> /readyz, gzip",
                "ml: pull into an empty store + start -> /readyz, zstd",
            ],
        )

    def test_figures(self) -> None:
        rows = {row.label: row for row in bench.table_rows(self.results())}
        self.assertEqual(rows["cold build of base+ml, nothing cached"].ours, "98.0 s, 31 actions, 11 run")
        change = rows["one-line change in service/: rebuild"]
        self.assertEqual(
            (change.ours, change.seed, change.ratio), ("1.3 s, 31 actions, 4 run", "102.9 s, podman build", "79.2x")
        )
        self.assertEqual(rows["  layers whose digest changed"].seed, "app, usr/local")
        expunge = rows["remote cache, after clean --expunge (vendored repos)"]
        self.assertEqual(expunge.ours, "8.1 s (median of 3: 7.9-8.1 s), 11 hits")
        self.assertEqual(expunge.ratio, "12.1x cold/warm")
        self.assertEqual(rows["image base vs the seed's image, MB compr. / uncompr."].ours, "13.4 / 38.6 MB")
        self.assertEqual(rows["layers, MB compressed/uncompressed"].ours, "debian 13.4/38.4, app 0.05/0.23")
        self.assertEqual(rows[""].ours, "torch 0.00/0.00")
        pushed = rows["push after the one-line change"]
        self.assertEqual((pushed.ours, pushed.ratio), ("55.0 kB in 4 blobs (registry +57.3 kB)", "19,149x"))
        self.assertEqual(rows["ml: podman run -> /readyz 200, model cached"].ours, "3.6 s")
        throughput = rows["ml_onnx: embedding throughput, batches of 32 texts of 128 tokens"]
        self.assertEqual((throughput.ours, throughput.seed, throughput.ratio), ("23.4 texts/s", "vs ml", "2.0x"))
        self.assertEqual(rows["ml_onnx: single-query embed latency p50 (p90)"].ratio, "5.2x")
        self.assertEqual(rows["ml: service memory (VmRSS) once ready / after a 32-chunk ingest"].ours, "497 / 619 MB")
        started = rows["ml: fresh read-only container -> /readyz, bytecode in the image"]
        self.assertEqual(
            (started.ours, started.seed, started.ratio),
            ("2.7 s (median of 3: 2.5-2.9 s)", "no bytecode: 6.1 s (median of 3: 6.0-6.4 s)", "2.3x"),
        )
        loaded = rows["one-line change, then `bazel run //images:ml_load`"]
        self.assertEqual((loaded.ours, loaded.ratio), ("2.4 s (median of 3: 2.2-2.9 s)", "10.0x"))
        self.assertEqual(rows["  layers copied into podman"].ours, "app, at most 210.0 kB")
        self.assertEqual(rows["images, MB compressed: gzip / zstd"].ours, "base 47.9/43.1, ml 311.7/269.3")
        zstd = rows["ml: pull into an empty store + start -> /readyz, zstd"]
        self.assertEqual(
            (zstd.ours, zstd.ratio), ("10.0 s (median of 3: 9.0-11.0 s); pull 7.0 s, start 3.0 s", "1.4x gzip/zstd")
        )
        self.assertEqual(rows["  blobs downloaded from the cache (old way)"].ours, "0.0 kB (250.0 MB)")
        base = rows["  output base after build and push (old way)"]
        self.assertEqual((base.ours, base.ratio), ("41.0 MB (1,200.0 MB)", "29.3x old/new"))

    def test_results_to_json_by_step(self) -> None:
        data = self.results().to_json()
        self.assertEqual(
            data["cold_build"],
            {
                "build": {
                    "seconds": 98.0,
                    "bazel_elapsed": 98.0,
                    "analysis_seconds": 78.0,
                    "processes": {"total": 31, "by_kind": {"internal": 20, "linux-sandbox": 11}},
                }
            },
        )
        self.assertEqual(sorted(data), sorted(step.key for step in bench.STEPS))


if __name__ == "__main__":
    unittest.main()
