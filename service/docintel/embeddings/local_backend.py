"""Embeddings computed in-process with sentence-transformers (the "ml" image).

Nothing heavy is imported until the first use: then ``docintel_models`` makes
sure the model files are present and verified under ``model_dir`` and
sentence-transformers loads them on the CPU (:mod:`docintel.embeddings.volume_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from docintel.embeddings.base import EmbeddingMatrix
from docintel.embeddings.volume_model import VolumeModelEmbedder, import_runtime

__all__ = ["ML_IMAGE_REQUIRED", "LocalEmbedder"]

ML_IMAGE_REQUIRED = (
    "the local embedder needs the ml image (torch and sentence-transformers are not installed); "
    "use DOCINTEL_EMBEDDER=openai or run the docintel ml image"
)


class LocalEmbedder(VolumeModelEmbedder[Any]):
    """sentence-transformers model loaded lazily from a verified local directory."""

    backend = "local"

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
        with self._run_lock:
            vectors = model.encode(
                list(batch), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def _load(self) -> Any:
        """Fetch/verify the model files, then load them."""
        (sentence_transformers,) = import_runtime(
            ["sentence_transformers"], image_libraries=("sentence_transformers", "torch"), unavailable=ML_IMAGE_REQUIRED
        )
        path = self._model_files()
        return sentence_transformers.SentenceTransformer(str(path), device="cpu")
