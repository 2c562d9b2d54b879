"""Unit tests of tools/bench itself: which steps run, a run that fails, the table from typed results."""

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
import session
from bazel_log import Processes
from commands import BenchError
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
        ml = embedders.Embedding(11.7, 182.0, 452.0, 7.6, 128.0, 497e6, 619e6, 8, 12.5)
        onnx = embedders.Embedding(23.4, 35.0, 68.0, 0.4, 128.0, 246e6, 406e6, 8, 26.0)
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

    def test_chart_bars_from_the_results(self) -> None:
        seed, embedders = (
            [(bar.label, round(bar.gain, 1)) for bar in chart.bars(self.results())] for chart in bench.CHARTS
        )
        self.assertEqual(
            seed,
            [
                ("image base, compressed", 74.3),
                ("image ml, compressed", 74.3),
                ("all two images (distinct layers)", 74.3),
                ("first push, bytes uploaded", 4.3),
                ("one-line change: rebuild", 79.2),
                ("one-line change: bytes pushed", 19149.1),
            ],
        )
        self.assertEqual(
            embedders,
            [
                ("ml_onnx: embed 1,000 texts", 2.0),
                ("ml_onnx: single-query latency p50", 5.2),
                ("ml_onnx: memory once ready", 2.0),
                ("ml_onnx: memory after an ingest", 1.5),
                ("ml_onnx: model load", 19.0),
            ],
        )

    def test_pictures_only_of_what_was_measured(self) -> None:
        directory = Path(self.enterContext(tempfile.TemporaryDirectory())) / "pictures"
        results = Results()
        ml = embedders.Embedding(11.7, 182.0, 452.0, 7.6, 128.0, 497e6, 619e6, 8, 12.5)
        results.add("embedders", embedders.Embedders({"ml": ml, "ml_onnx": ml}))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            bench.write_charts(directory, results, "2026-11-30")
        self.assertEqual(sorted(path.name for path in directory.iterdir()), ["embedders.svg"])
        self.assertIn("no picture seed.svg: this run measured nothing of it", out.getvalue())

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
                "ml: the same in the service's batches of 8",
                "ml: single-query embed latency p50 (p90)",
                "ml: service memory (VmRSS) once ready / after a 32-chunk ingest",
                "ml: model load in a fresh process",
                "ml_onnx: embedding throughput, batches of 32 texts of 128 tokens",
                "ml_onnx: the same in the service's batches of 8",
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
        in_service_batches = rows["ml_onnx: the same in the service's batches of 8"]
        self.assertEqual((in_service_batches.ours, in_service_batches.ratio), ("26.0 texts/s", "2.1x"))
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
