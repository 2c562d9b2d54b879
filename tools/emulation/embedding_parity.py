"""The same ten texts embedded by an image's linux/amd64 and linux/arm64 builds must agree.

    embedding_parity.py IMAGE --mirror DIR [--min-cosine 0.9999] [--platform linux/arm64 ...]

IMAGE is a multi-platform image (an index) podman can pull, e.g. the ml_onnx
image in a loopback registry. For each platform (default linux/amd64 and
linux/arm64; the arm64 one runs under qemu-user-static, binfmt.py) podman
pulls that platform's image and runs the onnx embedder in it on TEXTS, the
model fetched from DIR (a model image's files: the embedder's mirror). Each
text's vector from the first platform is compared with the others' by
cosine; any below --min-cosine fails (exit 1). Prints the machine each run
reported, its time, and the cosines. When qemu-user itself crashes running
an image (Debian 12's qemu 7.2 does on onnxruntime 1.32's aarch64 module, at
import), it exits 77, skipped, with the emulator's message. Standard library only: the host's
python3 runs it (.ci/arm64_emulation.sh).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TEXTS = (
    "Cats are small domesticated felines that purr.",
    "Income tax law sets brackets and deductions.",
    "Rust is a systems programming language.",
    "The river flooded the valley after the storm.",
    "A violin has four strings tuned in fifths.",
    "Photosynthesis turns light into chemical energy.",
    "The central bank raised interest rates again.",
    "Bread rises because yeast produces carbon dioxide.",
    "Glaciers carve deep valleys over thousands of years.",
    "Which pet hunts rodents at night?",
)

# Runs in the image's own Python: the embedder the service would build from
# the image's settings (DOCINTEL_EMBEDDER), on argv, the model fetched from
# the mirror into a fresh cache.
EMBED = """
import json, platform, sys
from docintel.core.config import Settings
from docintel.embeddings.factory import create_embedder
embedder = create_embedder(Settings(), cache=None)
print(json.dumps({"machine": platform.machine(), "vectors": embedder.embed(sys.argv[1:]).tolist()}))
"""


# What qemu-user prints when the emulated program dies of a signal it could not
# deliver (Debian 12's qemu 7.2 on onnxruntime's native module: SIGSEGV at import).
EMULATOR_CRASH = "qemu: uncaught target signal"
RUN_TIMEOUT = 900.0  # seconds for one platform's run (arm64 under emulation: model load and ten texts)
POLL_SECONDS = 2.0
SKIP = 77  # the exit code test drivers read as "skipped"

# What platform.machine() says inside an image of each platform: proof that
# the arm64 run ran arm64 code (under emulation), not an amd64 image.
MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}


class ParityError(Exception):
    """A run failed or its vectors do not agree; the message says which."""


class EmulatorCrashError(ParityError):
    """qemu-user itself crashed running the image: the emulator cannot run it, which says nothing of the image."""


@dataclass(frozen=True)
class Run:
    """What one platform's image answered."""

    platform: str
    machine: str
    vectors: list[list[float]]
    seconds: float


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norms == 0.0:
        raise ParityError("a zero vector has no direction to compare")
    return dot / norms


def cosines(reference: Run, other: Run) -> list[float]:
    """Per text, the cosine of `other`'s vector to `reference`'s."""
    if len(reference.vectors) != len(other.vectors):
        raise ParityError(
            f"{reference.platform} gave {len(reference.vectors)} vectors, {other.platform} {len(other.vectors)}"
        )
    return [cosine(a, b) for a, b in zip(reference.vectors, other.vectors, strict=True)]


def parse_run(platform: str, output: str, seconds: float) -> Run:
    """A Run from the embedding script's JSON line (the last line of its output)."""
    lines = output.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("vectors"), list):
        raise ParityError(f"{platform}: the embedder printed no vectors:\n{output[-2000:]}")
    machine = str(answer.get("machine"))
    if MACHINES.get(platform, machine) != machine:
        raise ParityError(
            f"{platform}: the image ran as {machine}, not {MACHINES[platform]}: podman pulled another platform"
        )
    return Run(platform, machine, answer["vectors"], seconds)


def embed(image: str, platform: str, mirror: Path, texts: Sequence[str]) -> Run:
    """Pulls `platform`'s image of `image` and embeds `texts` in it (podman run)."""
    pulled = _podman("pull", "-q", "--tls-verify=false", "--platform", platform, image).stdout.strip().splitlines()
    if not pulled:
        raise ParityError(f"podman pull --platform {platform} {image} named no image")
    name = f"docintel-parity-{platform.replace('/', '-')}"
    volume = [
        "-v",
        f"{mirror}:/mirror:ro",
        "-e",
        "DOCINTEL_MODEL_MIRROR=/mirror",
        "-e",
        "DOCINTEL_MODEL_DIR=/tmp/models",
    ]
    started = time.monotonic()
    output = run_container(name, [*volume, "--entrypoint", "/usr/bin/python3.11", pulled[-1], "-c", EMBED, *texts])
    return parse_run(platform, output, time.monotonic() - started)


def run_container(name: str, argv: list[str], timeout: float = RUN_TIMEOUT) -> str:
    """Runs a container to its end and returns its output; raises EmulatorCrashError when the emulator crashed.

    Detached and watched, not `podman run` in the foreground: after a crash
    qemu-user may never exit, and the run would hang.
    """
    _podman("rm", "-f", name, check=False)
    _podman("run", "-d", "--name", name, *argv)
    started = time.monotonic()
    try:
        while True:
            logs = _podman("logs", name, check=False)
            output = logs.stdout + logs.stderr
            if EMULATOR_CRASH in output:
                raise EmulatorCrashError(f"{name}: the emulator crashed:\n{output.strip()[-1500:]}")
            state = _podman("inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", name).stdout
            running, code = state.split()
            if running == "false":
                if code != "0":
                    raise ParityError(f"{name} exited with {code}:\n{output.strip()[-2000:]}")
                return logs.stdout
            if time.monotonic() - started > timeout:
                raise ParityError(f"{name} did not finish within {timeout:.0f} s:\n{output.strip()[-2000:]}")
            time.sleep(POLL_SECONDS)
    finally:
        _podman("rm", "-f", name, check=False)


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs the host's podman; with `check`, a failure raises ParityError with its message."""
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)  # noqa: S607
    if check and result.returncode != 0:
        raise ParityError(f"podman {' '.join(args[:3])} failed: {result.stderr.strip()[-2000:]}")
    return result


def main(argv: list[str]) -> int:
    """Embeds TEXTS on every platform and compares; 1 when a cosine is below the minimum or a run fails."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("image", help="a multi-platform image podman can pull (REGISTRY/NAME:TAG)")
    parser.add_argument("--mirror", type=Path, required=True, help="the model's files (a mounted model image)")
    parser.add_argument("--min-cosine", type=float, default=0.9999)
    parser.add_argument("--platform", action="append", help="platforms, the first the reference")
    args = parser.parse_args(argv)
    platforms = args.platform or ["linux/amd64", "linux/arm64"]
    if len(set(platforms)) < 2:
        parser.error(
            f"--platform {' '.join(platforms)}: give at least two different platforms to compare, the first the "
            "reference (e.g. --platform linux/amd64 --platform linux/arm64), or none for those two"
        )
    try:
        runs = []
        for platform in platforms:
            runs.append(embed(args.image, platform, args.mirror, TEXTS))
            run = runs[-1]
            print(f"{run.platform}: machine {run.machine}, {len(run.vectors)} texts embedded in {run.seconds:.1f} s")
        worst = 1.0
        for other in runs[1:]:
            found = cosines(runs[0], other)
            worst = min(worst, *found)
            print(f"{other.platform} vs {runs[0].platform}: cosines {', '.join(f'{c:.6f}' for c in found)}")
    except EmulatorCrashError as error:
        print(f"embedding_parity: SKIPPED, the emulator cannot run this image here: {error}", file=sys.stderr)
        return SKIP
    except ParityError as error:
        print(f"embedding_parity: {error}", file=sys.stderr)
        return 1
    if worst < args.min_cosine:
        print(f"FAIL: the lowest cosine is {worst:.6f}, under {args.min_cosine}", file=sys.stderr)
        return 1
    print(f"PASSED: every text's vectors agree across {', '.join(platforms)} (lowest cosine {worst:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
