"""Embedding backends behind one :class:`Embedder` interface."""

from docintel.embeddings.base import Embedder, EmbeddingMatrix
from docintel.embeddings.cache import EmbeddingCache
from docintel.embeddings.factory import create_embedder
from docintel.embeddings.local_backend import ML_IMAGE_REQUIRED, LocalEmbedder
from docintel.embeddings.onnx_backend import ONNX_IMAGE_REQUIRED, OnnxEmbedder
from docintel.embeddings.openai_backend import OpenAIEmbedder

__all__ = [
    "ML_IMAGE_REQUIRED",
    "ONNX_IMAGE_REQUIRED",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingMatrix",
    "LocalEmbedder",
    "OnnxEmbedder",
    "OpenAIEmbedder",
    "create_embedder",
]
