"""Choose and build the embedder named by ``DOCINTEL_EMBEDDER``."""

from __future__ import annotations

import redis

from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder, EmbedderOptions
from docintel.embeddings.cache import EmbeddingCache
from docintel.embeddings.local_backend import LocalEmbedder
from docintel.embeddings.onnx_backend import OnnxEmbedder
from docintel.embeddings.openai_backend import OpenAIEmbedder
from docintel.store.keys import Keys

__all__ = ["create_embedder", "create_embedding_cache"]


def create_embedding_cache(settings: Settings, *, client: redis.Redis, keys: Keys | None = None) -> EmbeddingCache:
    """The Redis embedding cache for the configured model, under ``keys`` (default: the key prefix's)."""
    return EmbeddingCache(
        client,
        keys=keys or Keys(settings.key_prefix),
        model=settings.embedding_cache_model,
        ttl_seconds=settings.embedding_cache_ttl,
        query_ttl_seconds=settings.embedding_query_cache_ttl,
    )


def create_embedder(settings: Settings, *, cache: EmbeddingCache | None, metrics: Metrics | None = None) -> Embedder:
    """The configured embedder, with ``cache``."""
    options = EmbedderOptions(batch_size=settings.batch_size, cache=cache, metrics=metrics)
    if settings.embedder == "local":
        return LocalEmbedder(model_name=settings.local_model, model_dir=settings.model_dir, **options)
    if settings.embedder == "onnx":
        return OnnxEmbedder(
            model_name=settings.onnx_model, model_dir=settings.model_dir, threads=settings.onnx_threads, **options
        )
    return OpenAIEmbedder(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        model=settings.embedding_model,
        dimension=settings.embedding_dimension,
        timeout=settings.embedding_timeout,
        max_retries=settings.embedding_max_retries,
        retry_backoff=settings.embedding_retry_backoff,
        **options,
    )
