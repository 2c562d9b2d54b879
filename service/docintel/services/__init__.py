"""Use cases combining chunking, embeddings and the store."""

from docintel.services.documents import delete_document, get_document, ingest_document, new_document_id
from docintel.services.search import search_chunks

__all__ = ["delete_document", "get_document", "ingest_document", "new_document_id", "search_chunks"]
