"""Embeddings computed in-process with sentence-transformers (the "ml" image).

Nothing heavy is imported until the first use: then ``docintel_models`` makes
sure the model files are present and verified under ``model_dir`` and
sentence-transformers loads them on the CPU.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder, EmbeddingMatrix
from docintel.embeddings.cache import EmbeddingCache
from docintel.errors import EmbedderUnavailableError

__all__ = ["ML_IMAGE_REQUIRED", "LocalEmbedder"]

ML_IMAGE_REQUIRED = (
    "the local embedder needs the ml image (torch and sentence-transformers are not installed); "
    "use DOCINTEL_EMBEDDER=openai or run the docintel ml image"
)


class LocalEmbedder(Embedder):
    """sentence-transformers model loaded lazily from a verified local directory."""

    backend = "local"

    def __init__(
        self,
        *,
        model_name: str,
        model_dir: Path,
        batch_size: int,
        cache: EmbeddingCache | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """Remember what to load; loading happens on first use."""
        super().__init__(batch_size=batch_size, cache=cache, metrics=metrics)
        self._model_name = model_name
        self._model_dir = model_dir
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """The loaded model's sentence-embedding dimension."""
        return int(self._loaded().get_sentence_embedding_dimension())

    def _expected_dimension(self) -> int | None:
        """Known once the model is loaded."""
        if self._model is None:
            return None
        return int(self._model.get_sentence_embedding_dimension())

    def describe(self) -> str:
        """The model's name."""
        return f"local model {self._model_name}"

    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Encode one batch on the CPU."""
        model = self._loaded()
        with self._encode_lock:
            vectors = model.encode(
                list(batch), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def _loaded(self) -> Any:
        """The SentenceTransformer, importing and loading it on first call."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        """Fetch/verify the model files, then load them."""
        try:
            sentence_transformers = importlib.import_module("sentence_transformers")
        except ModuleNotFoundError as exc:
            if exc.name in ("sentence_transformers", "torch"):
                raise EmbedderUnavailableError(ML_IMAGE_REQUIRED) from exc
            raise EmbedderUnavailableError(f"importing sentence-transformers failed: {exc}") from exc
        except Exception as exc:  # torch failing to initialise
            raise EmbedderUnavailableError(f"importing sentence-transformers failed: {exc}") from exc
        try:
            models = importlib.import_module("docintel_models")
        except ImportError as exc:
            raise EmbedderUnavailableError("the local embedder needs the docintel_models package (ml image)") from exc
        try:
            path = Path(models.ensure_model(self._model_name, cache_dir=self._model_dir))
        except Exception as exc:
            raise EmbedderUnavailableError(
                f"local model {self._model_name!r} is not available in {self._model_dir}: {exc}"
            ) from exc
        return sentence_transformers.SentenceTransformer(str(path), device="cpu")
