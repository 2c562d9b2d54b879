"""tools/bench: the figures that show the docintel images are fast to build and small to ship.

usage: tools/bench [--skip-seed] [--skip-container] [--only STEP[,STEP...]] [--json FILE] [--keep]

Every figure is measured for real, in this one run, in a fresh output base of
its own (<output_user_root>/bench-<pid>, where output_user_root is the parent
of `tools/bazel info output_base`); nothing is asserted, only printed. The
images are those of images/images.bzl (//images:images, //images:list). Steps,
one module each in tools/benchmark/steps/:

  1. cold build   every image as on a new machine: fresh output base, empty
                  repository cache (every .deb and wheel downloaded), no
                  remote cache: wall time and Bazel's "INFO: N processes"
  2. no-op        the same build again
  3. push         a loopback docker-registry; `bazel run //images:push`:
                  bytes uploaded (the blobs its --report says it uploaded)
                  and the growth of the registry's storage
  4. seed         the seed team's approach: ONE image from a multi-stage
                  Dockerfile (tools/benchmark/seed/Dockerfile: `pip install`
                  of the whole lock into one layer, `COPY` of the repository
                  with its tests, wheels and model), built with
                  `podman build --no-cache` on our Debian root file system
                  (no base image can be pulled here) from the context
                  //tools/benchmark:seed_context; pushed to the same registry
                  with `podman push` and copied back into an OCI layout
  5. sizes        `bazel run //images:size_report -- --json`, with the seed
                  image's layout added as an extra --image seed=DIR
  6. container    each image with a local model (ml) loaded into podman, a
                  loopback redis-server, the image run (tools/benchmark/e2e.py)
                  with --network host and a model volume at /models: time from
                  `podman run` to a 200 from /readyz, first start (model fetched
                  from its model image) and second start (model cached); then
                  an ingest and a search
  7. startup      base and each image with a model, loaded with `bazel run` of
                  its load target, started three times as a fresh read-only
                  container to /readyz with the bytecode the image ships and
                  three times without any (its pycs hidden)
  8. embedders    the images with a local model (ml, ml_onnx) side by side,
                  taking turns: measure_embedder.py in each container
                  (throughput in batches of 32 and in the service's, single-query latency,
                  model load) and the service's memory once ready and after
                  a 32-chunk ingest
  9. one line     a comment appended to service/docintel/__init__.py (always
                  restored, also on Ctrl-C): rebuild time and processes, the
                  layers whose digest changed, bytes pushed; for the seed,
                  `podman build` again (its layer cache on) and its push
 10. load change  three rounds of a new one-line change and `bazel run` of
                  the load target of each image with a model: wall time, the
                  layers copied into podman; and the tarball + `podman load`
                  it replaces, once
 11. remote cache nginx (tools/cache/nginx_cache.sh) as an HTTP cache, with the
                  `ci` config's cache flags: clean, build with upload, clean,
                  rebuild; clean --expunge, rebuild (repositories vendored):
                  times (each rebuild three times: the median and the
                  range), remote cache hits, cold/warm ratios
 12. push from    a second one-line change; a wiped output base builds every
     the cache    image with --config=ci (without the bytes) and pushes it,
                  blobs streamed from the cache: bytes of blobs from the
                  cache, to the registry, in the output base, added to the
                  cache; and the old way's (--remote_download_toplevel)
 13. compression  every image built with gzip and with zstd layers
                  (--//tools/oci:compression); each image with a model pushed
                  both ways, pulled into an empty podman store and started
                  to /readyz (model cached), three rounds each way

It ends with one table (ours / seed approach / ratio = seed / ours, or
cold / warm) and, with --json FILE, writes every number to FILE. The run takes
30 to 40 minutes on 2 cores (on demand, not in CI) and needs 25 GB free on the disk that holds the
output root and podman's storage (15 GB with --skip-seed); it says so up front.
Host tools: docker-registry, nginx (nginx-light), curl; podman (runc) unless
both --skip-seed and --skip-container; redis-server unless --skip-container
(.ci/run installs them all). The images with a model stay loaded in podman
(docintel/ml:latest, as `bazel run //images:ml_load` leaves it); the seed's
images are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import e2e
import seed_image
from chart import Chart
from commands import BenchError, say
from results import Results
from session import Bench, Options, Step
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
from table import Row, render_table

# The order the steps run in (a step may use what an earlier one left: the
# registry, the seed image, the list of images).
STEPS: tuple[Step, ...] = (
    cold_build.STEP,
    noop_build.STEP,
    push.STEP,
    seed_build.STEP,
    sizes.STEP,
    container_start.STEP,
    startup.STEP,
    embedders.STEP,
    one_line_change.STEP,
    load_change.STEP,
    remote_cache.STEP,
    push_from_cache.STEP,
    compression.STEP,
)
# The order of the table's rows.
TABLE: tuple[Callable[[Results], list[Row]], ...] = (
    cold_build.rows,
    noop_build.rows,
    one_line_change.rebuild_rows,
    remote_cache.rows,
    seed_build.rows,
    sizes.rows,
    push.rows,
    one_line_change.push_rows,
    push_from_cache.rows,
    container_start.rows,
    startup.rows,
    embedders.rows,
    load_change.rows,
    compression.rows,
)
# The pictures (--svg DIR), each of the bars its steps give.
CHARTS = (
    Chart(
        "seed",
        "docintel images against the seed's one-image approach",
        "the seed's approach",
        (sizes.bars, push.bars, one_line_change.bars),
    ),
    Chart("embedders", "ml_onnx (ONNX Runtime) against ml (torch), same model", "ml", (embedders.bars,)),
)
SEED_NOTE = """\
seed approach = ONE image from tools/benchmark/seed/Dockerfile, built with podman build on our Debian
root file system (no base image can be pulled here): pip install of the whole lock in one layer, the
repository with its tests, wheels and model copied in; ours = each of our images against it.
ratio = seed / ours (times, sizes, bytes) unless it says otherwise; "N actions, M run": Bazel's
"INFO: N processes" line, M = not internal and not a cache hit."""
# The flags that leave steps out, and their Options fields.
SKIP_FLAGS = (("--skip-seed", "skip_seed"), ("--skip-container", "skip_container"))


def selected(options: Options) -> set[str]:
    """The keys of the steps to run: all, or those of --only with the cold build and the steps they need.

    Raises BenchError for a step that does not exist or that a --skip flag leaves out.
    """
    only = options.only
    if not only:
        return {step.key for step in STEPS}
    by_key = {step.key: step for step in STEPS}
    unknown = [key for key in only if key not in by_key]
    if unknown:
        raise BenchError(f"--only: no step {', '.join(unknown)}; the steps are {', '.join(by_key)}")
    if skipped := [key for key in only if not by_key[key].wanted(options)]:
        flags = " and ".join(flag for flag, on in SKIP_FLAGS if getattr(options, on))
        raise BenchError(
            f"--only {','.join(skipped)} asks for what {flags} leaves out, so it would not run; "
            f"drop {flags} or choose other steps"
        )
    chosen, pending = set(), [cold_build.STEP.key, *only]
    while pending:
        key = pending.pop()
        if key not in chosen:
            chosen.add(key)
            pending.extend(by_key[key].needs)
    return chosen


def run_steps(bench: Bench, results: Results, keys: set[str]) -> None:
    """Runs the steps of `keys` the options want, in order, keeping each result."""
    for number, step in enumerate(STEPS, 1):
        if step.key not in keys or not step.wanted(bench.options):
            continue
        bench.note_load(step.key)
        say(f"{number}/{len(STEPS)} {step.title} ...")
        results.add(step.key, step.run(bench))
        results.images = tuple(entry.name for entry in bench.images)


def table_rows(results: Results) -> list[Row]:
    """The table's rows, section by section."""
    return [row for section in TABLE for row in section(results)]


def arguments() -> argparse.ArgumentParser:
    """The command line."""
    summary, _, details = (__doc__ or "").partition("\n\n")
    parser = argparse.ArgumentParser(
        prog="tools/bench",
        description=details.partition("\n\n")[2],
        usage="tools/bench [--skip-seed] [--skip-container] [--only STEP[,STEP...]] [--json FILE] [--svg DIR] [--keep]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=summary,
    )
    parser.add_argument(
        "--skip-seed",
        action="store_true",
        help="do not build, size or push the seed-approach images (saves ~4 minutes)",
    )
    parser.add_argument(
        "--skip-container",
        action="store_true",
        help="do not load and start the images with podman (no podman or redis-server needed)",
    )
    parser.add_argument(
        "--only",
        metavar="STEP[,STEP...]",
        default="",
        help="run only these steps (their keys: " + ", ".join(step.key for step in STEPS) + "), with the cold "
        "build and the steps they need",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE as JSON")
    parser.add_argument(
        "--svg",
        type=Path,
        metavar="DIR",
        help="also draw the pictures the figures allow into DIR: seed.svg (ours against the seed's approach: "
        "sizes, pushes, rebuild) and embedders.svg (ml_onnx against ml: time, latency, memory)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the bench output base (its server is shut down), the registry, the cache, "
        "the vendored repositories and the podman images the run loaded",
    )
    return parser


def options(argv: list[str]) -> Options:
    """The parsed command line."""
    args = arguments().parse_args(argv)
    only = tuple(key for key in args.only.split(",") if key)
    return Options(
        skip_seed=args.skip_seed,
        skip_container=args.skip_container,
        keep=args.keep,
        json=args.json,
        svg=args.svg,
        only=only,
    )


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    """Runs the bench; prints the table of what finished; 1 if a step failed, 130 if interrupted."""
    bench, results, started = Bench(options(argv)), Results(), time.monotonic()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    status, began = 0, datetime.datetime.now().isoformat(timespec="seconds")
    try:
        keys = selected(bench.options)
        bench.preflight()
        bench.setup()
        run_steps(bench, results, keys)
    except (BenchError, seed_image.SeedError, e2e.E2EError) as error:
        print(f"tools/bench: error: {error}", file=sys.stderr)
        status = 1
    except Exception as error:  # a bug, or a failure nobody foresaw: still show the steps that finished
        traceback.print_exc()
        print(f"tools/bench: error: unexpected {type(error).__name__} (above): {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\ntools/bench: interrupted; cleaning up", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("cleaning up (servers, registry, output base) ...")
        bench.cleanup()
    total = time.monotonic() - started
    rows = table_rows(results) if results.get(cold_build.ColdBuild) else []
    if rows:
        print()
        if not bench.options.skip_seed:
            print(SEED_NOTE)
        sys.stdout.write(render_table(rows))
        loads = bench.load_average.values()
        print(
            f"total benchmark time {total / 60:.1f} min on {os.cpu_count()} cores; "
            f"1-min load average as the steps started: {min(loads):.1f} to {max(loads):.1f} "
            f"(timings vary with other work on the machine); logs: {bench.work / 'logs'}"
        )
    if bench.options.json:
        report = {
            "started": began,
            "total_seconds": total,
            "output_base": str(bench.bazel.output_base),
            "work": str(bench.work),
            "images": list(results.images),
            "load_average": bench.load_average,
            "results": results.to_json(),
            "table": [asdict(row) for row in rows],
        }
        bench.options.json.write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")
        print(f"numbers written to {bench.options.json}")
    if bench.options.svg:
        write_charts(bench.options.svg, results, began[:10])
    return status


def write_charts(directory: Path, results: Results, date: str) -> None:
    """Each of CHARTS whose figures this run measured, as DIR/<name>.svg; says which it left out."""
    directory.mkdir(parents=True, exist_ok=True)
    for chart in CHARTS:
        picture = chart.draw(results, date)
        if picture is None:
            print(f"no picture {chart.name}.svg: this run measured nothing of it ({chart.title})")
            continue
        (directory / f"{chart.name}.svg").write_text(picture)
        print(f"picture written to {directory / chart.name}.svg")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
