"""Parity: the onnx embedder, and the local one on torch alone, give sentence-transformers' vectors
and rankings for the same model.

sentence-transformers (torch) loads all-MiniLM-L6-v2 from its pinned safetensors. The onnx
embedder runs the model.onnx exported from them; the local embedder runs the same safetensors
through its own BERT forward pass (docintel.embeddings.bert_encoder), without importing
sentence-transformers. Both go through the service's own code path (batches of 32, padded per
batch). Every text's cosine must be >= 0.9999 for onnx and >= 0.9999999 for local (every
coordinate within 1e-4 and 1e-6), and the top 10 of every query over the corpus the same
documents in the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docintel.embeddings.base import Embedder
from docintel.embeddings.local_backend import LocalEmbedder
from docintel.embeddings.onnx_backend import OnnxEmbedder
from docintel.store.vector_space import SAME_MODEL_COSINE
from tests.embedders.conftest import LOCAL_MODEL, ONNX_MODEL
from tests.embedders.corpus import QUERIES, corpus
from tests.embedders.vectors import TOP_K, Embedded, embed_both, fingerprint_cosine, text_cosines, top

MAX_SEQ_LENGTH = 256
BOUNDS = {"onnx": (0.9999, 1e-4), "local": (0.9999999, 1e-6)}
"""Per embedder: the lowest cosine any text may have, the largest difference of one coordinate."""


@pytest.fixture(scope="module", params=sorted(BOUNDS))
def embedded(request: pytest.FixtureRequest, model_cache: Path, local_model_cache: Path, minilm_dir: Path) -> Embedded:
    embedder: Embedder
    if request.param == "onnx":
        embedder = OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_cache, batch_size=32)
    else:
        embedder = LocalEmbedder(model_name=LOCAL_MODEL, model_dir=local_model_cache, batch_size=32)
        assert embedder.dimension == 384 and " on torch, " in embedder.describe()
    return embed_both(embedder, minilm_dir)


def test_the_corpus_is_varied_enough(model_cache: Path) -> None:
    from tokenizers import Tokenizer

    texts = corpus()
    assert len(texts) >= 200
    assert len({text.lower() for text in texts}) == len(texts)
    tokenizer = Tokenizer.from_file(str(model_cache / ONNX_MODEL / "main" / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
    assert sum(length > MAX_SEQ_LENGTH for length in lengths) >= 20, "truncation must be exercised"
    assert sum(length <= 3 for length in lengths) >= 20, "single words and punctuation"
    assert any(not any(c.isalnum() for c in text) for text in texts), "punctuation only"
    assert any(ord(c) > 0x1F000 for text in texts for c in text), "emoji"
    assert len(QUERIES) >= 20


def test_every_vector_matches(
    embedded: Embedded, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    min_cosine, max_difference = BOUNDS[request.node.callspec.params["embedded"]]
    found, worst = text_cosines(embedded)
    difference = np.abs(embedded.ours - embedded.reference).max()
    with capsys.disabled():
        print(
            f"\n[parity {request.node.callspec.id}] {len(found)} texts: min cosine {found.min():.9f} (1 - cosine at "
            f"most {1 - found.min():.1e}); largest difference of one coordinate {difference:.1e}; worst text: {worst!r}"
        )
    below = [(embedded.texts[i][:60], round(float(found[i]), 9)) for i in np.flatnonzero(found < min_cosine)]
    assert below == [], f"{len(below)} texts below cosine {min_cosine}"
    # Cosine ignores length: the vectors themselves (unit length, as the model's Normalize makes them) agree too.
    assert difference <= max_difference


def test_top10_rankings_are_identical(
    embedded: Embedded, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    differing = []
    margins = []
    for index, query in enumerate(QUERIES):
        our_scores = embedded.ours @ embedded.ours_queries[index]
        reference_scores = embedded.reference @ embedded.reference_queries[index]
        our_top = top(our_scores)
        reference_top = top(reference_scores, TOP_K + 1)
        margins.append(float(np.min(-np.diff(reference_scores[reference_top]))))
        if our_top != reference_top[:TOP_K]:
            differing.append(query)
    with capsys.disabled():
        print(
            f"[parity {request.node.callspec.id}] {len(QUERIES)} queries: "
            f"top-{TOP_K} identical for {len(QUERIES) - len(differing)}; "
            f"smallest score gap between neighbours in the reference's top {TOP_K + 1}: {min(margins):.2e}"
        )
    assert differing == [], f"top-{TOP_K} rankings differ for {differing}"


def test_both_fingerprints_are_one_model(
    model_cache: Path, local_model_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index the ml image wrote takes the ml_onnx image's vectors, and the other way round."""
    onnx = OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_cache, batch_size=32)
    local = LocalEmbedder(model_name=LOCAL_MODEL, model_dir=local_model_cache, batch_size=32)
    assert fingerprint_cosine(onnx, local, capsys) >= SAME_MODEL_COSINE
