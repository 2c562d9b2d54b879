"""Reading a sentence-transformers pipeline from its files, and pooling as it does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from docintel.embeddings.sentence_pipeline import PipelineError, SentencePipeline, pool, read_pipeline

MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
]
POOLING = {
    "word_embedding_dimension": 4,
    "pooling_mode_cls_token": False,
    "pooling_mode_mean_tokens": True,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


def _model(tmp_path: Path, modules: Any = MODULES, pooling: Any = POOLING, transformer: Any = None) -> Path:
    (tmp_path / "1_Pooling").mkdir(exist_ok=True)
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    config = transformer if transformer is not None else {"max_seq_length": 256, "do_lower_case": False}
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps(config))
    return tmp_path


def test_minilm_shaped_pipeline(tmp_path: Path) -> None:
    assert read_pipeline(_model(tmp_path)) == SentencePipeline(
        max_seq_length=256, lower_case=False, dimension=4, normalize=True
    )


def test_without_normalize(tmp_path: Path) -> None:
    assert not read_pipeline(_model(tmp_path, modules=MODULES[:2])).normalize


@pytest.mark.parametrize(("key", "mode"), [("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max")])
def test_other_pooling_modes(tmp_path: Path, key: str, mode: str) -> None:
    pooling = {**POOLING, "pooling_mode_mean_tokens": False, key: True}
    assert read_pipeline(_model(tmp_path, pooling=pooling)).pooling == mode


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"modules": MODULES[::-1]}, "Transformer -> Pooling"),
        ({"modules": [*MODULES, {"type": "sentence_transformers.models.Dense", "path": "3_Dense"}]}, "Pooling"),
        ({"modules": {"not": "a list"}}, "expected a list"),
        ({"pooling": {**POOLING, "pooling_mode_cls_token": True}}, r"\['pooling_mode_cls_token', 'pooling_mode_mean"),
        ({"pooling": {**POOLING, "pooling_mode_mean_tokens": False}}, r"modes \[\]; only one of pooling_mode_mean"),
        (
            {"pooling": {**POOLING, "pooling_mode_mean_tokens": False, "pooling_mode_mean_sqrt_len_tokens": True}},
            "mean_sqrt_len_tokens",
        ),
        ({"pooling": {**POOLING, "word_embedding_dimension": 0}}, "word_embedding_dimension"),
        ({"pooling": ["x"]}, "expected a JSON object"),
        ({"transformer": {"max_seq_length": "256"}}, "max_seq_length"),
    ],
)
def test_pipelines_it_cannot_run(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        read_pipeline(_model(tmp_path, **change))


def test_missing_file_is_named(tmp_path: Path) -> None:
    (_model(tmp_path) / "sentence_bert_config.json").unlink()
    with pytest.raises(PipelineError, match=r"sentence_bert_config\.json"):
        read_pipeline(tmp_path)


def test_pool_averages_unmasked_tokens_then_normalises() -> None:
    tokens = np.array(
        [
            [[3.0, 0.0], [1.0, 0.0], [100.0, 100.0]],  # last position is padding
            [[0.0, 2.0], [0.0, 4.0], [0.0, 6.0]],
        ],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]], dtype=np.int64)
    plain = SentencePipeline(max_seq_length=3, lower_case=False, dimension=2, normalize=False)
    np.testing.assert_allclose(pool(plain, tokens, mask), [[2.0, 0.0], [0.0, 4.0]])
    normalized = pool(SentencePipeline(max_seq_length=3, lower_case=False, dimension=2, normalize=True), tokens, mask)
    np.testing.assert_allclose(normalized, [[1.0, 0.0], [0.0, 1.0]])
    assert normalized.dtype == np.float32


def test_pool_cls_takes_the_first_token_and_max_skips_padding() -> None:
    tokens = np.array(
        [
            [[3.0, -5.0], [1.0, -1.0], [100.0, 100.0]],  # last position is padding
            [[0.0, 2.0], [-1.0, 4.0], [7.0, 6.0]],
        ],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]], dtype=np.int64)
    cls = SentencePipeline(max_seq_length=3, lower_case=False, dimension=2, normalize=False, pooling="cls")
    np.testing.assert_allclose(pool(cls, tokens, mask), [[3.0, -5.0], [0.0, 2.0]])
    largest = SentencePipeline(max_seq_length=3, lower_case=False, dimension=2, normalize=False, pooling="max")
    np.testing.assert_allclose(pool(largest, tokens, mask), [[3.0, -1.0], [7.0, 6.0]])


def test_pool_of_an_all_zero_vector_stays_finite() -> None:
    tokens = np.zeros((1, 2, 3), dtype=np.float32)
    pipeline = SentencePipeline(max_seq_length=2, lower_case=False, dimension=3, normalize=True)
    assert np.isfinite(pool(pipeline, tokens, np.array([[1, 0]], dtype=np.int64))).all()
