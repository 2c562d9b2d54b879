"""A sentence-transformers model directory's pipeline, read from its own files, and its arithmetic.

``modules.json`` lists the modules a sentence-transformers model applies in
order; for all-MiniLM-L6-v2 they are Transformer (settings in
``sentence_bert_config.json``) -> Pooling (``1_Pooling/config.json``: the mean
of the tokens; the CLS token or the maximum are the other modes this runs) ->
Normalize. :func:`read_pipeline` reads those files, and :func:`pool` does the
Pooling and Normalize steps on the Transformer's token embeddings with numpy,
so an ONNX graph of the Transformer alone (or :mod:`docintel.embeddings.bert_encoder`)
gives the model's sentence vectors. :func:`open_tokenizer` and :func:`tokenize` do
what comes before: the model's fast tokenizer, truncation at its
``max_seq_length`` and padding to the longest text of each batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "PipelineError",
    "PoolingMode",
    "SentencePipeline",
    "TokenBatch",
    "open_tokenizer",
    "pool",
    "read_pipeline",
    "tokenize",
]

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
PoolingMode = Literal["mean", "cls", "max"]
_POOLING_MODES: dict[str, PoolingMode] = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}
TOKENIZER_FILE = "tokenizer.json"

TokenBatch = dict[str, npt.NDArray[np.int64]]
"""``input_ids``, ``attention_mask`` and ``token_type_ids``, each batch x sequence."""


class PipelineError(ValueError):
    """The model directory describes a pipeline this embedder cannot run, or is unreadable."""


@dataclass(frozen=True)
class SentencePipeline:
    """What the model's files say to do around the Transformer module."""

    max_seq_length: int
    lower_case: bool
    dimension: int
    normalize: bool
    pooling: PoolingMode = "mean"
    """``mean`` (of the tokens the mask keeps), ``cls`` (the first token's) or ``max`` (per coordinate)."""


def read_pipeline(model_dir: Path) -> SentencePipeline:
    """The pipeline of ``model_dir``: Transformer -> Pooling (one of mean, CLS, max) [-> Normalize].

    Raises :class:`PipelineError` naming the file for anything else.
    """
    modules = _json(model_dir / "modules.json")
    if not isinstance(modules, list):
        raise PipelineError(f"{model_dir / 'modules.json'}: expected a list of modules")
    types = [str(module.get("type", "")) if isinstance(module, dict) else "" for module in modules]
    if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
        raise PipelineError(
            f"{model_dir / 'modules.json'} lists {types}; only Transformer -> Pooling [-> Normalize] runs "
            "without sentence-transformers"
        )
    transformer_path = model_dir / str(modules[0].get("path", "")) / "sentence_bert_config.json"
    transformer = _object(transformer_path)
    pooling_path = model_dir / str(modules[1].get("path", "")) / "config.json"
    pooling = _object(pooling_path)
    modes = sorted(key for key, value in pooling.items() if key.startswith("pooling_mode_") and value is True)
    if len(modes) != 1 or modes[0] not in _POOLING_MODES:
        raise PipelineError(
            f"{pooling_path}: pooling modes {modes}; only one of {', '.join(_POOLING_MODES)} runs without "
            "sentence-transformers"
        )
    return SentencePipeline(
        max_seq_length=_positive(transformer, "max_seq_length", transformer_path),
        lower_case=bool(transformer.get("do_lower_case", False)),
        dimension=_positive(pooling, "word_embedding_dimension", pooling_path),
        normalize=len(types) == 3,
        pooling=_POOLING_MODES[modes[0]],
    )


def open_tokenizer(tokenizers: Any, model_dir: Path, pipeline: SentencePipeline) -> Any:
    """``model_dir``'s ``tokenizer.json`` (with the ``tokenizers`` module given), truncating at ``max_seq_length``."""
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
    tokenizer.enable_truncation(max_length=pipeline.max_seq_length)
    # Padded positions are masked out of attention and pooling: the pad id's value does not matter.
    tokenizer.enable_padding()
    return tokenizer


def tokenize(tokenizer: Any, pipeline: SentencePipeline, batch: Sequence[str]) -> TokenBatch:
    """One batch through :func:`open_tokenizer`'s tokenizer, padded to its longest text."""
    texts = [text.lower() for text in batch] if pipeline.lower_case else list(batch)
    encodings = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def pool(
    pipeline: SentencePipeline, token_embeddings: npt.NDArray[np.float32], attention_mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Sentence vectors pooled as sentence-transformers does, then L2-normalised if asked.

    ``token_embeddings`` is batch x sequence x hidden, ``attention_mask`` batch x sequence (1 for
    the tokens, 0 for padding). mean: of the tokens; cls: the first token; max: per coordinate, of the tokens.
    """
    mask = attention_mask.astype(np.float32)[:, :, None]
    if pipeline.pooling == "cls":
        pooled = token_embeddings[:, 0]
    elif pipeline.pooling == "max":
        pooled = np.where(mask > 0, token_embeddings, np.float32(-1e9)).max(axis=1)
    else:
        pooled = (token_embeddings * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    vectors: npt.NDArray[np.float32] = pooled.astype(np.float32, copy=False)
    if pipeline.normalize:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return vectors


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read {path}: {exc}") from exc


def _object(path: Path) -> dict[str, Any]:
    data = _json(path)
    if not isinstance(data, dict):
        raise PipelineError(f"{path}: expected a JSON object")
    return data


def _positive(config: dict[str, Any], key: str, path: Path) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PipelineError(f"{path}: {key} must be a positive integer, got {value!r}")
    return value
