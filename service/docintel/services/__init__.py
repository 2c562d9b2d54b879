"""Use cases combining chunking, embeddings and the store."""

from docintel.services.documents import DocumentService, new_document_id
from docintel.services.search import SearchService

__all__ = ["DocumentService", "SearchService", "new_document_id"]
