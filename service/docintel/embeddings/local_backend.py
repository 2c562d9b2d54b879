"""Embeddings computed in-process with torch (the "ml" image).

Nothing heavy is imported until the first use: then ``docintel_models`` makes
sure the model files are present and verified under ``model_dir``
(:mod:`docintel.embeddings.volume_model`), torch is told to run on the
container's CPUs (its default is every CPU of the host, whatever the
container's quota), and one of two engines opens them:
- **torch**, for a BERT sentence-transformers model with the usual pipeline
  (Transformer -> mean, CLS or max Pooling [-> Normalize]; all-MiniLM-L6-v2 is one): its
  ``tokenizer.json`` through ``tokenizers``, its encoder through
  :mod:`docintel.embeddings.bert_encoder`, its pooling through
  :mod:`docintel.embeddings.sentence_pipeline`. Importing sentence-transformers
  would add 5 to 8 s to every start; tests/embedders/test_parity.py
  shows the vectors are sentence-transformers' own.
- **sentence-transformers**, for every other model, where it is installed: the
  log says why. No image installs it (with transformers, scipy and
  scikit-learn it would add 314 MB to ml); there such a model gets an error
  saying which models run and how to run the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from docintel.core.cpus import available_cpus
from docintel.embeddings import sentence_pipeline
from docintel.embeddings.base import EmbeddingMatrix
from docintel.embeddings.bert_encoder import BertEncoder, UnsupportedModelError, read_config
from docintel.embeddings.sentence_pipeline import PipelineError, SentencePipeline
from docintel.embeddings.volume_model import OpenedModel, VolumeModelEmbedder, import_runtime
from docintel.errors import EmbedderUnavailableError, EmbeddingError

__all__ = ["ML_IMAGE_REQUIRED", "LocalEmbedder"]

logger = logging.getLogger(__name__)

ML_IMAGE_REQUIRED = (
    "the local embedder needs the ml image (torch, tokenizers or safetensors is not installed); "
    "use DOCINTEL_EMBEDDER=openai or run the docintel ml image"
)


class _Engine(OpenedModel, Protocol):
    """An opened model (its dimension and threads), what runs it, and one batch of texts to vectors."""

    @property
    def name(self) -> str:
        """What runs the model, for describe()."""

    def encode(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """One batch's vectors."""


@dataclass(frozen=True)
class _TorchEngine:
    """A BERT model on torch alone: tokenizer -> encoder -> pooling."""

    encoder: BertEncoder
    tokenizer: Any
    pipeline: SentencePipeline
    threads: int
    name: str = "torch"

    @property
    def dimension(self) -> int:
        """The pooling config's dimension (the encoder's hidden size)."""
        return self.pipeline.dimension

    def encode(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Tokenize, run the encoder and pool one batch, padded to its longest text."""
        inputs = sentence_pipeline.tokenize(self.tokenizer, self.pipeline, batch)
        return sentence_pipeline.pool(self.pipeline, self.encoder.hidden_states(inputs), inputs["attention_mask"])


@dataclass(frozen=True)
class _SentenceTransformersEngine:
    """Any model sentence-transformers can load."""

    model: Any
    batch_size: int
    threads: int
    name: str = "sentence-transformers"

    @property
    def dimension(self) -> int:
        """The model's own answer."""
        return int(self.model.get_embedding_dimension())

    def encode(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """``SentenceTransformer.encode`` on the CPU."""
        vectors = self.model.encode(
            list(batch), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class LocalEmbedder(VolumeModelEmbedder[_Engine]):
    """A model from the model volume run in-process on the CPU, loaded lazily from a verified local directory."""

    backend = "local"

    def _runs_on(self, model: _Engine) -> str:
        """The engine running it and on how many threads."""
        return f" on {model.name}, {model.threads} threads"

    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Encode one batch on the CPU."""
        model = self._loaded()
        with self._run_lock:
            try:
                return model.encode(batch)
            except Exception as exc:  # torch's and sentence-transformers' own exception types
                raise EmbeddingError(f"local model {self._model_name} failed on {len(batch)} texts: {exc}") from exc

    def _load(self) -> _Engine:
        """Fetch/verify the model files, then open them with torch alone if it can run them."""
        (torch,) = import_runtime(["torch"], image_libraries=("torch",), unavailable=ML_IMAGE_REQUIRED)
        torch.set_num_threads(available_cpus())
        threads = int(torch.get_num_threads())
        path = self._model_files()
        try:
            return self._open_on_torch(torch, path, threads)
        except (UnsupportedModelError, PipelineError) as exc:
            reason = str(exc)
        (sentence_transformers,) = import_runtime(
            ["sentence_transformers"],
            image_libraries=("sentence_transformers",),
            unavailable=(
                f"local model {self._model_name!r} cannot run on torch alone ({reason}), and sentence-transformers, "
                "which would run it, is not installed (no docintel image has it): use a BERT model with mean, CLS "
                "or max pooling, such as all-MiniLM-L6-v2, or an image that adds sentence-transformers to ml"
            ),
        )
        logger.info("local model %s runs on sentence-transformers: %s", self._model_name, reason)
        return _SentenceTransformersEngine(
            sentence_transformers.SentenceTransformer(str(path), device="cpu"),
            batch_size=self.batch_size,
            threads=threads,
        )

    def _open_on_torch(self, torch: Any, path: Path, threads: int) -> _TorchEngine:
        """The torch engine; :class:`UnsupportedModelError` or :class:`PipelineError` for a model it cannot run."""
        pipeline = sentence_pipeline.read_pipeline(path)
        if not (path / sentence_pipeline.TOKENIZER_FILE).is_file():
            raise UnsupportedModelError(f"{path / sentence_pipeline.TOKENIZER_FILE} does not exist")
        config = read_config(path)
        if config.hidden != pipeline.dimension:  # decided before the weights are read
            raise UnsupportedModelError(
                f"its pooling gives {pipeline.dimension} dimensions, its encoder {config.hidden}"
            )
        tokenizers, safetensors_torch = import_runtime(
            ["tokenizers", "safetensors.torch"],
            image_libraries=("tokenizers", "safetensors"),
            unavailable=ML_IMAGE_REQUIRED,
        )
        try:
            encoder = BertEncoder.open(torch, safetensors_torch, path, config)
            tokenizer = sentence_pipeline.open_tokenizer(tokenizers, path, pipeline)
        except UnsupportedModelError:
            raise
        except Exception as exc:
            raise EmbedderUnavailableError(f"opening local model {self._model_name!r} in {path} failed: {exc}") from exc
        if pipeline.max_seq_length > encoder.max_positions:
            raise UnsupportedModelError(
                f"max_seq_length {pipeline.max_seq_length} is over the encoder's {encoder.max_positions} positions"
            )
        return _TorchEngine(encoder=encoder, tokenizer=tokenizer, pipeline=pipeline, threads=threads)
