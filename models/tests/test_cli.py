"""The init_models command, end to end in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from docintel_models import ModelSpec
from support import MODEL_NAME, flip_byte, link_mirror, serve_directory

MODELS_ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Keep the caller's PYTHONPATH: under Bazel it holds the wheels' paths.
    python_path = os.pathsep.join(filter(None, [str(MODELS_ROOT), os.environ.get("PYTHONPATH")]))
    full_env = {**os.environ, "PYTHONPATH": python_path, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "docintel_models", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


def test_cli_fetch_verify_list(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    listed = run("--list", "--cache-dir", str(cache_dir))
    assert listed.returncode == 0
    assert MODEL_NAME in listed.stdout and "dim=384" in listed.stdout

    fetched = run("--model", MODEL_NAME, "--cache-dir", str(cache_dir), "--mirror", str(mirror_dir))
    assert fetched.returncode == 0, fetched.stderr
    assert f"fetched {len(spec.files)} file(s), 87.3 MiB" in fetched.stdout
    assert "fetched model.safetensors" in fetched.stderr  # plain progress lines: not a TTY

    again = run("--model", MODEL_NAME, "--quiet", env={"DOCINTEL_MODEL_DIR": str(cache_dir)})
    assert again.returncode == 0, again.stderr
    assert "fetched 0 file(s), 0 B" in again.stdout
    assert again.stderr == ""

    assert run("--verify-only", "--model", MODEL_NAME, "--cache-dir", str(cache_dir)).returncode == 0
    assert "cached" in run("--list", "--cache-dir", str(cache_dir)).stdout

    flip_byte(cache_dir / MODEL_NAME / spec.revision / "vocab.txt", 5)
    broken = run("--verify-only", "--model", MODEL_NAME, "--cache-dir", str(cache_dir))
    assert broken.returncode == 1
    assert "vocab.txt (checksum mismatch)" in broken.stdout
    assert broken.stderr.count("\n") == 1 and broken.stderr.startswith("init_models: error:")


def test_cli_errors_are_one_line(cache_dir: Path, tmp_path: Path) -> None:
    unknown = run("--model", "nope", "--cache-dir", str(cache_dir))
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "init_models: error: unknown model 'nope'; known models: all-MiniLM-L6-v2, all-MiniLM-L6-v2-onnx, "
        "all-MiniLM-L6-v2-onnx-int8"
    ]
    unreachable = run("--cache-dir", str(cache_dir), "--mirror", str(tmp_path / "none"), "--quiet")
    assert unreachable.returncode == 1
    assert len(unreachable.stderr.strip().splitlines()) == 1
    assert "DOCINTEL_MODEL_MIRROR" in unreachable.stderr
    assert run("--bogus-flag").returncode == 2


def test_cli_default_from_the_hub_skips_the_models_built_here(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, tmp_path: Path
) -> None:
    hub = tmp_path / "hub"
    assert spec.source.repo is not None
    link_mirror(mirror_dir, hub / spec.source.repo / "resolve" / spec.revision)
    with serve_directory(hub) as (url, _state):
        fetched = run("--cache-dir", str(cache_dir), "--quiet", env={"HF_ENDPOINT": url})
    assert fetched.returncode == 0, fetched.stderr
    assert "init_models: 1 model(s) ready" in fetched.stdout
    skipped = [line for line in fetched.stderr.splitlines() if "skipped: not on the hub" in line]
    assert [line.split(":")[0] for line in skipped] == ["all-MiniLM-L6-v2-onnx", "all-MiniLM-L6-v2-onnx-int8"]
    everything = run("--all", "--cache-dir", str(cache_dir), "--quiet", env={"HF_ENDPOINT": url})
    assert everything.returncode == 1
    assert "is not on the hub" in everything.stderr and "--mirror" in everything.stderr


def test_cli_default_from_a_mirror_directory_takes_the_models_it_holds(mirror_dir: Path, cache_dir: Path) -> None:
    fetched = run("--cache-dir", str(cache_dir), "--mirror", str(mirror_dir), "--quiet")
    assert fetched.returncode == 0, fetched.stderr
    assert "init_models: 1 model(s) ready" in fetched.stdout
    skipped = [line for line in fetched.stderr.splitlines() if "skipped: not all of its files are in" in line]
    assert [line.split(":")[0] for line in skipped] == ["all-MiniLM-L6-v2-onnx", "all-MiniLM-L6-v2-onnx-int8"]
    assert "--model all-MiniLM-L6-v2-onnx (or --all) asks for it anyway" in fetched.stderr
    both = run("--all", "--model", MODEL_NAME, "--cache-dir", str(cache_dir), "--mirror", str(mirror_dir))
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr


def test_cli_paths_from_where_bazel_run_was_called(mirror_dir: Path, tmp_path: Path) -> None:
    caller = tmp_path / "caller"
    caller.mkdir()
    shared = f"{caller}:{mirror_dir}"
    env = {"BUILD_WORKING_DIRECTORY": str(caller), "DOCINTEL_BUILD_ROOT_SHARED": shared}
    fetched = run("--model", MODEL_NAME, "--cache-dir", "models", "--mirror", str(mirror_dir), "--quiet", env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert (caller / "models" / MODEL_NAME).is_dir()

    outside = run("--model", MODEL_NAME, "--cache-dir", str(tmp_path / "elsewhere"), "--quiet", env=env)
    assert outside.returncode == 1
    assert "outside what tools/bazel's build root shares" in outside.stderr
    assert not (tmp_path / "elsewhere").exists()

    # The mirror too, whichever way it is named.
    far_mirror = (tmp_path / "far-mirror").as_uri()
    refused = run("--model", MODEL_NAME, "--cache-dir", "models", "--mirror", far_mirror, "--quiet", env=env)
    assert refused.returncode == 1
    assert "--mirror" in refused.stderr and "outside what tools/bazel's build root shares" in refused.stderr
