"""Redis persistence: documents, chunks, vectors, and search over them."""

from docintel.store.documents import DocumentStore
from docintel.store.filters import filter_tags
from docintel.store.index import VectorIndex, VectorMatch, VectorQuery
from docintel.store.keys import Keys
from docintel.store.records import DocumentRecord
from docintel.store.redis_client import create_redis, redis_errors

__all__ = [
    "DocumentRecord",
    "DocumentStore",
    "Keys",
    "VectorIndex",
    "VectorMatch",
    "VectorQuery",
    "create_redis",
    "filter_tags",
    "redis_errors",
]
