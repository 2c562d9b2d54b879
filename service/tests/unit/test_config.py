"""Settings come from DOCINTEL_* variables (and PORT)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from docintel.core.config import Settings


def test_defaults() -> None:
    settings = Settings()
    assert settings.port == 8000
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.embedder == "openai"
    assert settings.chunk_size == 800
    assert settings.chunk_overlap == 100
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.model_dir == Path("/models")
    assert settings.local_model == "all-MiniLM-L6-v2"
    assert settings.api_key is None


def test_default_timeouts_report_a_hung_redis_within_2_s() -> None:
    settings = Settings()
    assert settings.redis_socket_timeout <= 1.5
    assert settings.redis_connect_timeout <= 1.5


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "PORT": "9100",
        "DOCINTEL_REDIS_URL": "redis://r:1/2",
        "DOCINTEL_API_KEY": "k",
        "DOCINTEL_EMBEDDER": "local",
        "DOCINTEL_CHUNK_SIZE": "300",
        "DOCINTEL_CHUNK_OVERLAP": "30",
        "DOCINTEL_EMBEDDING_BATCH_SIZE": "7",
        "DOCINTEL_EMBEDDING_TIMEOUT": "1.5",
        "DOCINTEL_MAX_UPLOAD_BYTES": "1000",
        "DOCINTEL_MODEL_DIR": "/tmp/m",
        "DOCINTEL_OPENAI_BASE_URL": "http://x/v1",
        "DOCINTEL_OPENAI_API_KEY": "sk",
        "DOCINTEL_EMBEDDING_MODEL": "m",
        "DOCINTEL_LOCAL_MODEL": "l",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.port == 9100
    assert settings.redis_url == "redis://r:1/2"
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "k"
    assert settings.embedder == "local"
    assert (settings.chunk_size, settings.chunk_overlap) == (300, 30)
    assert settings.batch_size == 7
    assert settings.embedding_timeout == 1.5
    assert settings.max_upload_bytes == 1000
    assert settings.model_dir == Path("/tmp/m")
    assert settings.embedding_cache_model == "local/l"


@pytest.mark.parametrize(("embedder", "batch_size"), [("openai", 64), ("local", 8), ("onnx", 8)])
def test_the_batch_size_defaults_to_the_embedder_s_own(
    monkeypatch: pytest.MonkeyPatch, embedder: str, batch_size: int
) -> None:
    monkeypatch.setenv("DOCINTEL_EMBEDDER", embedder)
    assert Settings().batch_size == batch_size
    monkeypatch.setenv("DOCINTEL_EMBEDDING_BATCH_SIZE", "")
    assert Settings().batch_size == batch_size
    monkeypatch.setenv("DOCINTEL_EMBEDDING_BATCH_SIZE", "16")
    assert Settings().batch_size == 16


def test_empty_api_key_means_no_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_API_KEY", "")
    assert Settings().api_key is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DOCINTEL_EMBEDDER", "magic"),
        ("DOCINTEL_CHUNK_OVERLAP", "900"),
        ("DOCINTEL_CHUNK_SIZE", "0"),
        ("PORT", "70000"),
    ],
)
def test_invalid(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_vector_set_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert (defaults.vector_quantization, defaults.vector_m) == (None, None)  # keep what the index has
    assert (defaults.vector_build_ef, defaults.vector_search_ef) == (200, 800)
    monkeypatch.setenv("DOCINTEL_VECTOR_QUANTIZATION", "q8")
    monkeypatch.setenv("DOCINTEL_VECTOR_M", "32")
    monkeypatch.setenv("DOCINTEL_VECTOR_SEARCH_EF", "400")
    settings = Settings()
    assert (settings.vector_quantization, settings.vector_m, settings.vector_search_ef) == ("Q8", 32, 400)
    monkeypatch.setenv("DOCINTEL_VECTOR_QUANTIZATION", "")
    monkeypatch.setenv("DOCINTEL_VECTOR_M", "")
    assert (Settings().vector_quantization, Settings().vector_m) == (None, None)


@pytest.mark.parametrize(("name", "value"), [("QUANTIZATION", "Q4"), ("M", "1"), ("SEARCH_EF", "0")])
def test_bad_vector_set_settings_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"DOCINTEL_VECTOR_{name}", value)
    with pytest.raises(ValidationError, match=f"vector_{name.lower()}"):
        Settings()


def test_log_level_is_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"
    monkeypatch.setenv("DOCINTEL_LOG_LEVEL", "verbose")
    with pytest.raises(ValidationError, match="log_level"):
        Settings()


def test_a_startup_error_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_REDIS_URL", "redis://:pa55word-of-redis@r:6379/0")
    monkeypatch.setenv("DOCINTEL_API_KEY", "api-key-of-the-service")
    monkeypatch.setenv("DOCINTEL_CHUNK_OVERLAP", "900")  # a check across fields: pydantic would echo them all
    with pytest.raises(ValidationError) as across:
        Settings()
    monkeypatch.setenv("DOCINTEL_CHUNK_OVERLAP", "10")
    monkeypatch.setenv("DOCINTEL_OPENAI_API_KEY", "sk-upstream-secret")
    monkeypatch.setenv("DOCINTEL_EMBEDDING_TIMEOUT", "-1")
    with pytest.raises(ValidationError) as one:
        Settings()
    for error in (across.value, one.value):
        text = str(error)
        assert "pa55" not in text and "api-key" not in text and "sk-up" not in text and "redis://" not in text
    assert "DOCINTEL_CHUNK_OVERLAP must be smaller than DOCINTEL_CHUNK_SIZE" in str(across.value)
    assert "embedding_timeout" in str(one.value)
