"""Document use cases: ingest (chunk → embed → store), read, list, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from docintel.chunking import chunk_text
from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.errors import DocumentNotFoundError, UnprocessableContentError
from docintel.store.documents import DocumentStore
from docintel.store.records import DocumentRecord

__all__ = ["DocumentService", "new_document_id"]


def new_document_id() -> str:
    """A fresh random document id."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class DocumentService:
    """The document use cases on one app's store, embedder, settings and metrics (built once per app)."""

    store: DocumentStore
    embedder: Embedder
    settings: Settings
    metrics: Metrics | None = None

    def ingest(
        self, *, document_id: str | None, title: str, text: str, metadata: Mapping[str, JsonValue]
    ) -> DocumentRecord:
        """Chunk and embed ``text``, then write it in batches and commit it in one small transaction.

        Embedding happens before anything is written, so a failing embedding
        backend leaves the documents untouched (the embedding cache may keep
        the vectors it got); re-ingesting an id replaces the old version
        atomically.
        """
        chunks = chunk_text(text, chunk_size=self.settings.chunk_size, chunk_overlap=self.settings.chunk_overlap)
        if not chunks:
            raise UnprocessableContentError("document text is empty or whitespace-only")
        texts = [chunk.text for chunk in chunks]
        vectors = self.embedder.embed(texts)
        record = self.store.put_document(
            document_id=document_id or new_document_id(),
            title=title,
            text=text,
            metadata=metadata,
            chunks=texts,
            vectors=vectors,
            fingerprint=self.embedder.fingerprint(),
        )
        if self.metrics is not None:
            self.metrics.documents_ingested.inc()
            self.metrics.chunks_ingested.inc(len(texts))
        return record

    def get(self, *, document_id: str) -> DocumentRecord:
        """The document, or :class:`DocumentNotFoundError`."""
        record = self.store.get_document(document_id=document_id)
        if record is None:
            raise DocumentNotFoundError(f"document {document_id!r} not found")
        return record

    def delete(self, *, document_id: str) -> None:
        """Delete the document with its chunks and vectors, or :class:`DocumentNotFoundError`."""
        if not self.store.delete_document(document_id=document_id):
            raise DocumentNotFoundError(f"document {document_id!r} not found")
        if self.metrics is not None:
            self.metrics.documents_deleted.inc()
