"""Exception hierarchy of the service.

Every error the service raises on purpose derives from :class:`DocintelError`.
Each subclass carries the HTTP status and the machine-readable ``code`` that the
app-level exception handlers (see :mod:`docintel.api.errors`) put into the JSON
error body ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "DocintelError",
    "DocumentNotFoundError",
    "EmbedderUnavailableError",
    "EmbeddingDimensionError",
    "EmbeddingError",
    "EmbeddingTimeoutError",
    "IndexDimensionMismatchError",
    "IndexSettingsMismatchError",
    "PayloadTooLargeError",
    "PdfTooComplexError",
    "RequestTimeoutError",
    "StoreUnavailableError",
    "UnprocessableContentError",
    "UnsupportedMediaTypeError",
    "WriteNotReplicatedError",
    "WriteOutcomeUnknownError",
]


class DocintelError(Exception):
    """Root of all errors raised deliberately by docintel."""

    status_code: int = 500
    code: str = "internal_error"
    retry_after: int | None = None
    """Seconds after which the same request may succeed (sent as ``Retry-After``); None if retrying will not help."""

    def __init__(self, message: str) -> None:
        """Create the error with a human-readable ``message``."""
        super().__init__(message)
        self.message = message


class AuthenticationError(DocintelError):
    """Missing or wrong API key."""

    status_code = 401
    code = "unauthorized"


class DocumentNotFoundError(DocintelError):
    """The requested document does not exist."""

    status_code = 404
    code = "document_not_found"


class RequestTimeoutError(DocintelError):
    """The client stopped sending its request body."""

    status_code = 408
    code = "request_timeout"


class ConflictError(DocintelError):
    """Concurrent writes to the same document kept invalidating this one; the request can simply be retried."""

    status_code = 409
    code = "write_conflict"
    retry_after = 1


class PayloadTooLargeError(DocintelError):
    """The request body or uploaded file exceeds the configured limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(DocintelError):
    """The uploaded file (or the request body) has a type the service cannot read."""

    status_code = 415
    code = "unsupported_media_type"


class UnprocessableContentError(DocintelError):
    """The content is of a supported type but cannot be used (empty, corrupt PDF...)."""

    status_code = 422
    code = "unprocessable_content"


class PdfTooComplexError(UnprocessableContentError):
    """Extracting a PDF's text would cost more CPU than its budget allows."""

    code = "pdf_too_complex"


class EmbeddingError(DocintelError):
    """The embedding backend failed or answered something unusable."""

    status_code = 502
    code = "embedding_failed"


class EmbeddingDimensionError(EmbeddingError):
    """The embedding backend returned vectors of an unexpected dimension."""

    code = "embedding_dimension_mismatch"


class IndexDimensionMismatchError(EmbeddingDimensionError):
    """The embedder's vectors do not fit the dimension of the vectors already stored."""

    code = "index_dimension_mismatch"


class IndexSettingsMismatchError(DocintelError):
    """The vector index was built with other settings (quantisation, HNSW M) than this service is configured for."""

    status_code = 503
    code = "index_settings_mismatch"


class EmbeddingTimeoutError(EmbeddingError):
    """The embedding backend did not answer in time (after retries)."""

    status_code = 504
    code = "embedding_timeout"


class EmbedderUnavailableError(DocintelError):
    """The configured embedder cannot be used at all (missing libraries, bad config)."""

    status_code = 503
    code = "embedder_unavailable"


class StoreUnavailableError(DocintelError):
    """Redis cannot be reached (or went away during the request)."""

    status_code = 503
    code = "store_unavailable"
    retry_after: int | None = 1


class WriteOutcomeUnknownError(StoreUnavailableError):
    """Redis went away while a write was being committed: it may or may not have been applied."""

    code = "write_outcome_unknown"


class WriteNotReplicatedError(StoreUnavailableError):
    """The write reached the primary, but not the replicas it must reach before it is acknowledged."""

    code = "write_not_replicated"
