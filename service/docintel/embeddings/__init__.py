"""Embedding backends behind one :class:`Embedder` interface."""

from docintel.embeddings.base import Embedder, EmbeddingMatrix
from docintel.embeddings.cache import EmbeddingCache
from docintel.embeddings.factory import create_embedder
from docintel.embeddings.local_backend import ML_IMAGE_REQUIRED, LocalEmbedder
from docintel.embeddings.openai_backend import OpenAIEmbedder

__all__ = [
    "ML_IMAGE_REQUIRED",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingMatrix",
    "LocalEmbedder",
    "OpenAIEmbedder",
    "create_embedder",
]
