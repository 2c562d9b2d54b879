"""Settings for an app under test: the embeddings stub, a given Redis, fast retries."""

from __future__ import annotations

from typing import Any

from docintel.core.config import Settings

STUB_MODEL = "stub-embedding"


def app_settings(*, embeddings_url: str, redis_url: str, **overrides: Any) -> Settings:
    """Settings pointing at the stub at ``embeddings_url`` and the Redis at ``redis_url``."""
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "openai_base_url": embeddings_url,
        "embedding_model": STUB_MODEL,
        "embedding_timeout": 2.0,
        "embedding_max_retries": 2,
        "embedding_retry_backoff": 0.01,
        "redis_socket_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)
