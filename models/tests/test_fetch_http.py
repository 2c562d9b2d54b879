"""Fetching over real HTTP from a loopback server with Range support."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel_models import (
    ModelError,
    ModelSpec,
    SourceUnavailableError,
    TransferInterruptedError,
    ensure_model,
    fetch_model,
)
from loopback_ports import free_port
from support import MODEL_NAME, QUIET, WEIGHTS, assert_complete, link_mirror, serve_directory


def test_fetch_over_http_flat_layout(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    with serve_directory(mirror_dir) as (url, state):
        result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=url, reporter=QUIET)
    assert result.bytes_fetched == spec.total_size
    assert_complete(result.path, spec)
    # Only the first file probes the <name>/<revision>/ and <name>/ layouts.
    assert sum(1 for _, _, status in state.log if status == 404) == 2


def test_fetch_over_http_name_layout(mirror_dir: Path, cache_dir: Path, spec: ModelSpec, tmp_path: Path) -> None:
    root = tmp_path / "www"
    link_mirror(mirror_dir, root / MODEL_NAME)
    with serve_directory(root) as (url, _state):
        path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=url + "/")
    assert_complete(path, spec)


def test_mirror_credentials_go_as_basic_auth_and_never_into_messages(
    mirror_dir: Path, cache_dir: Path, spec: ModelSpec
) -> None:
    with serve_directory(mirror_dir, credentials="reader:s3cret-pass") as (url, _state):
        host = url.removeprefix("http://")
        with pytest.raises(SourceUnavailableError) as denied:
            ensure_model(MODEL_NAME, cache_dir=cache_dir, source=f"http://reader:wrong-pass@{host}")
        path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=f"http://reader:s3cret-pass@{host}")
    assert_complete(path, spec)
    message = str(denied.value)
    assert "HTTP 401: access denied" in message and f"http://{host}/" in message
    assert "wrong-pass" not in message and "reader" not in message
    assert "the mirror" in message and "HF_TOKEN" not in message


@pytest.mark.parametrize(
    ("source", "fix"),
    [
        ("http://reader:s3cret-pass@127.0.0.1:notaport/", "--mirror or DOCINTEL_MODEL_MIRROR"),
        ("http://reader:s3cret-pass@[::1/", "--mirror or DOCINTEL_MODEL_MIRROR"),
        ("hf", "HF_ENDPOINT"),
    ],
)
def test_a_malformed_source_url_is_a_clear_error_without_its_credentials(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, source: str, fix: str
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://reader:s3cret-pass@127.0.0.1:notaport")
    with pytest.raises(ModelError) as error:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=source)
    message = str(error.value)
    assert message.startswith("the model source URL is not valid (") and message.endswith(f"fix {fix}")
    assert "s3cret-pass" not in message and "reader" not in message


def test_hub_url_scheme_via_hf_endpoint(
    mirror_dir: Path,
    cache_dir: Path,
    spec: ModelSpec,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "hub"
    assert spec.source.repo is not None
    link_mirror(mirror_dir, root / spec.source.repo / "resolve" / spec.revision)
    with serve_directory(root) as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        path = ensure_model(MODEL_NAME, cache_dir=cache_dir)  # no source: the hub
    assert_complete(path, spec)
    assert f"{spec.source.repo}/resolve/{spec.revision}/{WEIGHTS}" in [p for p, _, _ in state.log]


def test_interrupted_download_resumes_with_range(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    cut_at = 20_000_000
    with serve_directory(mirror_dir) as (url, state):
        state.cuts[WEIGHTS] = [cut_at]  # the connection drops midway, once
        result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=url, reporter=QUIET)
    assert_complete(result.path, spec)
    (first, first_status), (second, second_status) = state.requests_for(WEIGHTS)
    assert (first, first_status, second_status) == (None, 200, 206)
    assert second is not None
    resumed_at = int(second.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= cut_at  # everything received before the cut was kept
    assert result.bytes_fetched == spec.total_size  # nothing fetched twice


def test_interrupted_download_keeps_part_for_next_run(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    with serve_directory(mirror_dir) as (url, state):
        state.cuts[WEIGHTS] = [5_000_000] * 5  # every attempt of this run breaks off
        with pytest.raises(TransferInterruptedError) as info:
            fetch_model(MODEL_NAME, cache_dir=cache_dir, source=url, reporter=QUIET)
        assert WEIGHTS in str(info.value)
        part = cache_dir / MODEL_NAME / spec.revision / f"{WEIGHTS}.part"
        assert part.stat().st_size == 25_000_000
        result = fetch_model(MODEL_NAME, cache_dir=cache_dir, source=url, reporter=QUIET)
    assert state.requests_for(WEIGHTS)[-1] == ("bytes=25000000-", 206)
    names = [f.path for f in spec.files]
    done_first_run = sum(f.size for f in spec.files[: names.index(WEIGHTS)])
    assert result.bytes_fetched == spec.total_size - done_first_run - 25_000_000
    assert_complete(result.path, spec)


def test_server_without_range_support_restarts_cleanly(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    model_dir = cache_dir / MODEL_NAME / spec.revision
    model_dir.mkdir(parents=True)
    with (mirror_dir / WEIGHTS).open("rb") as src:
        (model_dir / f"{WEIGHTS}.part").write_bytes(src.read(1_000_000))
    with serve_directory(mirror_dir, honour_range=False) as (url, state):
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=url)
    assert state.requests_for(WEIGHTS) == [("bytes=1000000-", 200)]
    assert_complete(model_dir, spec)


def test_unreachable_http_mirror(cache_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/models"
    with pytest.raises(SourceUnavailableError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir, source=url)
    assert url in str(info.value)
    assert "set DOCINTEL_MODEL_MIRROR to a directory or URL holding the files" in str(info.value)


def test_unreachable_hub(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    with pytest.raises(SourceUnavailableError) as info:
        ensure_model(MODEL_NAME, cache_dir=cache_dir)
    message = str(info.value)
    assert f"{endpoint}/sentence-transformers/all-MiniLM-L6-v2/resolve/" in message
    assert "DOCINTEL_MODEL_MIRROR" in message
