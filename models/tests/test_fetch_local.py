"""Fetching from a local mirror (directory or file:// URL), caching, corruption, errors."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

import docintel_models.download as download_mod
import docintel_models.fetch as fetch_mod
from docintel_models import (
    ChecksumMismatchError,
    DiskFullError,
    ModelSpec,
    SourceUnavailableError,
    UnknownModelError,
    ensure_model,
    fetch_model,
)
from docintel_models.progress import Reporter
from support import MODEL_NAME, QUIET, WEIGHTS, assert_complete, flip_byte, link_mirror, sha256, tamper


def weights_size(spec: ModelSpec) -> int:
    return next(f.size for f in spec.files if f.path == WEIGHTS)


def test_fetch_from_directory_into_empty_cache(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    assert path == cache_dir / MODEL_NAME / spec.revision
    assert_complete(path, spec)


def test_fetch_from_file_url_with_name_layout(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, tmp_path: Path
) -> None:
    root = tmp_path / "mirror"
    link_mirror(mirror_dir, root / MODEL_NAME)  # <mirror>/<name>/<files>
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=root.as_uri(), reporter=QUIET)
    assert result.files_fetched == len(spec.files)
    assert result.bytes_fetched == spec.total_size
    assert_complete(result.path, spec)


def test_mirror_from_environment(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCINTEL_MODEL_MIRROR", str(mirror_dir))
    assert_complete(ensure_model(MODEL_NAME, cache_dir=cache_dir), spec)


def test_a_cache_directory_can_serve_as_mirror(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, tmp_path: Path
) -> None:
    ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    second = tmp_path / "second"
    path = ensure_model(MODEL_NAME, cache_dir=second, source=str(cache_dir))
    assert_complete(path, spec)


def test_second_call_fetches_and_hashes_nothing(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    fetch_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), reporter=QUIET)
    # A cached model needs no source at all: a missing mirror is never consulted.
    again = fetch_model(MODEL_NAME, cache_dir=cache_dir, source="/nonexistent", reporter=QUIET)
    assert (again.files_fetched, again.bytes_fetched, again.files_hashed) == (0, 0, 0)


def test_corrupted_cached_file_is_detected_and_fetched_again(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec
) -> None:
    path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    flip_byte(path / WEIGHTS, 1000)  # same size, mtime restored
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), reporter=QUIET)
    assert result.files_fetched == 1
    assert result.bytes_fetched == weights_size(spec)
    assert_complete(path, spec)


def test_truncated_cached_file_is_fetched_again(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    os.truncate(path / "vocab.txt", 10)
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), reporter=QUIET)
    assert result.files_fetched == 1
    assert_complete(path, spec)


def test_truncated_part_is_resumed(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    model_dir = cache_dir / MODEL_NAME / spec.revision
    model_dir.mkdir(parents=True)
    have = 30_000_000
    with (mirror_dir / WEIGHTS).open("rb") as src:
        (model_dir / f"{WEIGHTS}.part").write_bytes(src.read(have))
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), reporter=QUIET)
    assert result.bytes_fetched == spec.total_size - have  # only the rest was copied
    assert_complete(model_dir, spec)


@pytest.mark.parametrize("junk", [b"\0" * 1_000_000, b"x" * 100_000_000], ids=["bad", "too-long"])
def test_bad_part_is_discarded(mirror_dir: Path, cache_dir: Path, spec: ModelSpec, junk: bytes) -> None:
    model_dir = cache_dir / MODEL_NAME / spec.revision
    model_dir.mkdir(parents=True)
    (model_dir / f"{WEIGHTS}.part").write_bytes(junk)
    ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    assert_complete(model_dir, spec)


@pytest.mark.parametrize("append", [b"", b"extra"], ids=["same-size", "longer"])
def test_tampered_mirror_file_is_refused(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, tmp_path: Path, append: bytes
) -> None:
    mirror = link_mirror(mirror_dir, tmp_path / "mirror")
    tamper(mirror / "vocab.txt", append=append)
    expected = next(f for f in spec.files if f.path == "vocab.txt")
    with pytest.raises(ChecksumMismatchError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror))
    message = str(info.value)
    assert "vocab.txt" in message
    assert expected.sha256 in message
    assert sha256(mirror / "vocab.txt") in message
    assert info.value.actual_size == expected.size + len(append)
    model_dir = cache_dir / MODEL_NAME / spec.revision
    assert not (model_dir / "vocab.txt").exists()
    assert not (model_dir / "vocab.txt.part").exists()


def test_unknown_model_name(cache_dir: Path, mirror_dir: Path) -> None:
    with pytest.raises(UnknownModelError, match="all-MiniLM-L6-v2"):
        ensure_model("bert-huge", cache_dir=cache_dir, source=str(mirror_dir))
    assert not cache_dir.exists()


@pytest.mark.parametrize("kind", ["path", "file-url"])
def test_unreachable_directory_source(cache_dir: Path, tmp_path: Path, kind: str) -> None:
    missing = tmp_path / "no-mirror-here"
    source = str(missing) if kind == "path" else missing.as_uri()
    with pytest.raises(SourceUnavailableError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=source)
    assert str(missing) in str(info.value)
    assert "DOCINTEL_MODEL_MIRROR" in str(info.value)


def test_an_empty_mirror_directory_says_so(cache_dir: Path, tmp_path: Path) -> None:
    # compose mounts an empty ./no-mirror at /mirror when no model source is set.
    empty = tmp_path / "no-mirror"
    empty.mkdir()
    with pytest.raises(SourceUnavailableError, match="mirror directory is empty: mount the model's files there"):
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(empty))


def test_mirror_missing_a_file_names_it(mirror_dir: Path, cache_dir: Path, tmp_path: Path) -> None:
    mirror = link_mirror(mirror_dir, tmp_path / "mirror")
    (mirror / "tokenizer.json").unlink()
    with pytest.raises(SourceUnavailableError, match=r"tokenizer\.json not found"):
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror))


def test_disk_full_midway_keeps_part_and_resumes(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A really full disk needs a small filesystem (tmpfs or loop mount), which this
    # sandbox cannot mount; so the one write call is made to fail with ENOSPC.
    budget = [20_000_000]
    real_write = download_mod.write_chunk

    def full_disk_write(fd: int, data: bytes) -> None:
        fits = data[: budget[0]]
        real_write(fd, fits)
        budget[0] -= len(fits)
        if len(fits) < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(download_mod, "write_chunk", full_disk_write)
    with pytest.raises(DiskFullError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    model_dir = cache_dir / MODEL_NAME / spec.revision
    assert "more needed" in str(info.value)
    assert info.value.needed is not None and info.value.needed > 0
    weights = model_dir / WEIGHTS
    assert not weights.exists()  # no corrupt final file
    part = weights.with_name(WEIGHTS + ".part")
    kept = part.stat().st_size
    assert 0 < kept < weights_size(spec)

    monkeypatch.setattr(download_mod, "write_chunk", real_write)  # space freed
    result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), reporter=QUIET)
    assert result.bytes_fetched < spec.total_size  # resumed, not restarted
    assert_complete(model_dir, spec)


def test_too_little_free_space_is_reported_before_fetching(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_mod, "free_space", lambda path: 1_000_000)
    with pytest.raises(DiskFullError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))
    assert info.value.needed == spec.total_size
    assert str(spec.total_size) in str(info.value)
    assert not list((cache_dir / MODEL_NAME / spec.revision).rglob("*.*"))


def test_progress_bar_and_plain_lines(mirror_dir: Path, tmp_path: Path) -> None:
    bar = io.StringIO()
    fetch_model(
        MODEL_NAME,
        cache_dir=tmp_path / "a",
        source=str(mirror_dir),
        reporter=Reporter(bar, bar=True),
    )
    assert "\r" in bar.getvalue()
    assert "model.safetensors [" in bar.getvalue()
    assert "86.7 MiB/86.7 MiB" in bar.getvalue()

    lines = io.StringIO()
    fetch_model(MODEL_NAME, cache_dir=tmp_path / "b", source=str(mirror_dir), reporter=Reporter(lines))
    assert "\r" not in lines.getvalue()
    assert "fetched model.safetensors: 86.7 MiB" in lines.getvalue()


def test_progress_true_draws_on_stderr(mirror_dir: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir), progress=True)
    assert "\r" in capsys.readouterr().err
