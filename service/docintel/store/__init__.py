"""Redis persistence: documents, chunks, vectors."""

from docintel.store.documents import ChunkHit, DocumentRecord, DocumentStore
from docintel.store.filters import filter_tags
from docintel.store.keys import Keys
from docintel.store.redis_client import create_redis, redis_errors
from docintel.store.vectors import IndexMode, VectorIndex, VectorMatch, VectorQuery

__all__ = [
    "ChunkHit",
    "DocumentRecord",
    "DocumentStore",
    "IndexMode",
    "Keys",
    "VectorIndex",
    "VectorMatch",
    "VectorQuery",
    "create_redis",
    "filter_tags",
    "redis_errors",
]
