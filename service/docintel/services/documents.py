"""Document use cases: ingest (chunk → embed → store), read, list, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from pydantic import JsonValue

from docintel.chunking import chunk_text
from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.errors import DocumentNotFoundError, UnprocessableContentError
from docintel.store.documents import DocumentStore
from docintel.store.records import DocumentRecord

__all__ = ["delete_document", "get_document", "ingest_document", "new_document_id"]


def new_document_id() -> str:
    """A fresh random document id."""
    return uuid.uuid4().hex


def ingest_document(
    *,
    store: DocumentStore,
    embedder: Embedder,
    settings: Settings,
    metrics: Metrics | None,
    document_id: str | None,
    title: str,
    text: str,
    metadata: Mapping[str, JsonValue],
) -> DocumentRecord:
    """Chunk and embed ``text``, then store it in one transaction.

    Embedding happens before anything is written, so a failing embedding
    backend leaves the store untouched; re-ingesting an id replaces the old
    version atomically.
    """
    chunks = chunk_text(text, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    if not chunks:
        raise UnprocessableContentError("document text is empty or whitespace-only")
    texts = [chunk.text for chunk in chunks]
    vectors = embedder.embed(texts)
    record = store.put_document(
        document_id=document_id or new_document_id(),
        title=title,
        text=text,
        metadata=metadata,
        chunks=texts,
        vectors=vectors,
    )
    if metrics is not None:
        metrics.documents_ingested.inc()
        metrics.chunks_ingested.inc(len(texts))
    return record


def get_document(*, store: DocumentStore, document_id: str) -> DocumentRecord:
    """The document, or :class:`DocumentNotFoundError`."""
    record = store.get_document(document_id=document_id)
    if record is None:
        raise DocumentNotFoundError(f"document {document_id!r} not found")
    return record


def delete_document(*, store: DocumentStore, metrics: Metrics | None, document_id: str) -> None:
    """Delete the document with its chunks and vectors, or :class:`DocumentNotFoundError`."""
    if not store.delete_document(document_id=document_id):
        raise DocumentNotFoundError(f"document {document_id!r} not found")
    if metrics is not None:
        metrics.documents_deleted.inc()
