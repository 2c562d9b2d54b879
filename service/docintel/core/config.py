"""Service configuration: one pydantic-settings model read from the environment.

All variables use the ``DOCINTEL_`` prefix (``DOCINTEL_REDIS_URL``...), except the
listening port which is read from ``PORT`` (``DOCINTEL_PORT`` also works).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["API_BATCH_SIZE", "LOCAL_BATCH_SIZE", "Settings"]

API_BATCH_SIZE = 64
"""Texts per call to an embeddings API: fewer round trips."""
LOCAL_BATCH_SIZE = 8
"""Texts per call to a local model: on CPU, small batches embed as fast or faster (less padding), and the
memory the model's activations hold grows with the batch (service/README.md, "Embedding batch size")."""


class Settings(BaseSettings):
    """All tunables of the docintel service."""

    model_config = SettingsConfigDict(
        env_prefix="DOCINTEL_",
        extra="ignore",
        validate_default=True,
        # A startup error names the variable and what is wrong, never the values: pydantic would echo the
        # input (all settings, for a check across fields), with the API keys and the Redis URL's password.
        hide_input_in_errors=True,
    )

    port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("PORT", "DOCINTEL_PORT", "port"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"] = "INFO"

    redis_url: str = "redis://localhost:6379/0"
    # One Redis command may wait this long; a timeout is not retried, so a hung Redis is a 503 within it.
    redis_socket_timeout: float = Field(default=1.5, gt=0)
    redis_connect_timeout: float = Field(default=1.0, gt=0)
    key_prefix: str = Field(default="docintel", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # DOCINTEL_REDIS_URL names one node of a Redis Cluster: the store is split into this many shards, placed on
    # the cluster by hash tags (docintel/store/cluster.py); a search asks all of them at once.
    redis_cluster: bool = False
    redis_cluster_shards: int = Field(default=3, ge=1, le=256)
    # A write is acknowledged (201/204) only once this many replicas have it (WAIT), within the timeout;
    # otherwise 503 write_not_replicated. 0: acknowledged once the primary has it.
    redis_wait_replicas: int = Field(default=0, ge=0, le=16)
    redis_wait_timeout: float = Field(default=1.0, gt=0, le=60)
    # How long a document write may take before another process may collect what it left unfinished.
    write_grace_seconds: float = Field(default=900.0, gt=0)
    # The Redis 8 vector set (docintel/store/vectorset_layout.py; figures in service/README.md). Quantisation
    # and M are fixed when the index is created: unset, a service keeps what the index has (a new one gets Q8,
    # M 16); set to something else than a populated index has, it refuses to use it (never mixes the two).
    vector_quantization: Literal["NOQUANT", "Q8", "BIN"] | None = None
    vector_m: int | None = Field(default=None, ge=2, le=512)
    # HNSW effort: candidates explored per insert (VADD EF) and per search (VSIM EF, at least 4 k). Search EF 800:
    # recall@10 0.968 and p99 15.7 ms at 1M chunks, where 200 gives 0.833 (service/README.md, "Search at scale").
    vector_build_ef: int = Field(default=200, ge=1, le=100_000)
    vector_search_ef: int = Field(default=800, ge=1, le=100_000)
    # VADD CAS: the neighbours of a new vector are searched in a Redis thread, so concurrent writes use more cores.
    # Off by default, and not used on a primary with an append-only file: Redis 8.0 cannot restart from an AOF
    # (its own or a replica's) holding VADD CAS.
    vector_threaded_add: bool = False

    api_key: SecretStr | None = None

    embedder: Literal["openai", "local", "onnx"] = "openai"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    embedding_model: str = "text-embedding-3-small"
    embedding_dimension: int | None = Field(default=None, ge=1, le=65536)
    # Texts per embedding call; unset: the embedder's own default (:attr:`Settings.batch_size`).
    embedding_batch_size: int | None = Field(default=None, ge=1, le=2048)
    embedding_timeout: float = Field(default=30.0, gt=0)
    embedding_max_retries: int = Field(default=2, ge=0, le=20)
    embedding_retry_backoff: float = Field(default=0.5, ge=0)
    embedding_cache_ttl: int = Field(default=30 * 24 * 3600, ge=0)
    # A search query's embedding is kept this long (0: not kept), so arbitrary queries cannot fill Redis for a month.
    embedding_query_cache_ttl: int = Field(default=3600, ge=0)

    model_dir: Path = Path("/models")
    local_model: str = "all-MiniLM-L6-v2"
    onnx_model: str = "all-MiniLM-L6-v2-onnx"
    # ONNX Runtime's intra-op threads; unset: the CPUs the container may use.
    onnx_threads: int | None = Field(default=None, ge=1, le=1024)

    chunk_size: int = Field(default=800, ge=1)
    chunk_overlap: int = Field(default=100, ge=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # CPU seconds a PDF may cost to extract, per started MiB of file (in a separate, lower-priority process).
    pdf_cpu_seconds_per_mib: float = Field(default=2.0, gt=0)
    # Longest wait for a client's request head, or for the next part of its body.
    client_timeout: float = Field(default=10.0, gt=0)

    @field_validator(
        "api_key", "openai_api_key", "vector_quantization", "vector_m", "embedding_batch_size", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """Treat an empty variable (``DOCINTEL_API_KEY=``) as unset."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("vector_quantization", "log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        """Accept ``q8`` as well as ``Q8``, ``debug`` as well as ``DEBUG``."""
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        """The chunk overlap must leave room for new text in every chunk."""
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("DOCINTEL_CHUNK_OVERLAP must be smaller than DOCINTEL_CHUNK_SIZE")
        return self

    @property
    def batch_size(self) -> int:
        """Texts per embedding call: ``DOCINTEL_EMBEDDING_BATCH_SIZE``, else the embedder's default."""
        if self.embedding_batch_size is not None:
            return self.embedding_batch_size
        return API_BATCH_SIZE if self.embedder == "openai" else LOCAL_BATCH_SIZE

    @property
    def embedding_cache_model(self) -> str:
        """The model name the embedding cache is keyed by (backend-qualified)."""
        if self.embedder == "local":
            return f"local/{self.local_model}"
        if self.embedder == "onnx":
            return f"onnx/{self.onnx_model}"
        return f"openai/{self.embedding_model}"
