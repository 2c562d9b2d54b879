"""Embeddings from an ONNX export of a sentence-transformers model (the "ml_onnx" image): no torch.

Nothing heavy is imported until the first use: then ``docintel_models`` makes
sure the model's files (``model.onnx``, ``tokenizer.json`` and the pipeline's
config) are present and verified under ``model_dir``
(:mod:`docintel.embeddings.volume_model`), ``tokenizers`` loads
``tokenizer.json`` and ONNX Runtime opens ``model.onnx`` on the CPU. Around the
graph runs the model's own pipeline (:mod:`docintel.embeddings.sentence_pipeline`):
truncation at its ``max_seq_length``, padding to the longest text of each
batch, its pooling (the masked mean for all-MiniLM-L6-v2; CLS or max for
others) and L2 normalisation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np

from docintel.core.cpus import available_cpus
from docintel.embeddings.base import EmbedderOptions, EmbeddingMatrix
from docintel.embeddings.sentence_pipeline import (
    PipelineError,
    SentencePipeline,
    open_tokenizer,
    pool,
    read_pipeline,
    tokenize,
)
from docintel.embeddings.volume_model import VolumeModelEmbedder, import_runtime
from docintel.errors import EmbedderUnavailableError, EmbeddingError

__all__ = ["ONNX_IMAGE_REQUIRED", "OnnxEmbedder"]

ONNX_IMAGE_REQUIRED = (
    "the onnx embedder needs the ml_onnx image (onnxruntime and tokenizers are not installed); "
    "use DOCINTEL_EMBEDDER=openai or run the docintel ml_onnx image"
)
MODEL_FILE = "model.onnx"
TELEMETRY_OPT_OUT = "ORT_DISABLE_TELEMETRY"


@dataclass(frozen=True)
class _Model:
    """What one load produces: the ONNX session, the tokenizer and the pipeline around them."""

    session: Any
    tokenizer: Any
    pipeline: SentencePipeline
    input_names: frozenset[str]
    threads: int

    @property
    def dimension(self) -> int:
        """The pooling config's dimension."""
        return self.pipeline.dimension


class OnnxEmbedder(VolumeModelEmbedder[_Model]):
    """An ONNX model run by ONNX Runtime on the CPU, loaded lazily from a verified local directory."""

    backend = "onnx"

    def __init__(
        self, *, model_name: str, model_dir: Path, threads: int | None = None, **options: Unpack[EmbedderOptions]
    ) -> None:
        """Remember what to load; loading happens on first use. ``threads=None``: the container's CPUs."""
        super().__init__(model_name=model_name, model_dir=model_dir, **options)
        self._threads = threads

    def _runs_on(self, model: _Model) -> str:
        """The threads its session runs on."""
        return f", {model.threads} threads"

    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Tokenize, run the graph and pool one batch, padded to its longest text."""
        model = self._loaded()
        inputs = tokenize(model.tokenizer, model.pipeline, batch)
        feeds = {name: array for name, array in inputs.items() if name in model.input_names}
        with self._run_lock:
            try:
                hidden = model.session.run(None, feeds)[0]
            except Exception as exc:  # ONNX Runtime's own exception types
                raise EmbeddingError(f"onnx model {self._model_name} failed on {len(batch)} texts: {exc}") from exc
        return pool(model.pipeline, np.asarray(hidden, dtype=np.float32), inputs["attention_mask"])

    def _load(self) -> _Model:
        """Fetch/verify the model files, then open them."""
        # ONNX Runtime (>= 1.29) uploads usage telemetry from Linux unless this is set before it starts.
        os.environ.setdefault(TELEMETRY_OPT_OUT, "1")
        onnxruntime, tokenizers = import_runtime(
            ["onnxruntime", "tokenizers"],
            image_libraries=("onnxruntime", "tokenizers"),
            unavailable=ONNX_IMAGE_REQUIRED,
        )
        path = self._model_files()
        try:
            pipeline = read_pipeline(path)
        except PipelineError as exc:
            raise EmbedderUnavailableError(f"onnx model {self._model_name!r} in {path}: {exc}") from exc
        threads = self._threads or available_cpus()
        try:
            tokenizer = open_tokenizer(tokenizers, path, pipeline)
            session = onnxruntime.InferenceSession(
                str(path / MODEL_FILE),
                sess_options=_session_options(onnxruntime, threads),
                providers=["CPUExecutionProvider"],
            )
        except Exception as exc:
            raise EmbedderUnavailableError(f"opening onnx model {self._model_name!r} in {path} failed: {exc}") from exc
        names = frozenset(i.name for i in session.get_inputs())
        if not {"input_ids", "attention_mask"} <= names:
            raise EmbedderUnavailableError(
                f"{path / MODEL_FILE} takes {sorted(names)}; the onnx embedder feeds input_ids, attention_mask "
                "and token_type_ids"
            )
        return _Model(session=session, tokenizer=tokenizer, pipeline=pipeline, input_names=names, threads=threads)


def _session_options(onnxruntime: Any, threads: int) -> Any:
    """One batch at a time, spread over ``threads`` CPUs."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return options
