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
    "IndexModelMismatchError",
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
    """Root of all errors raised deliberately by docintel.

    A subclass names its HTTP status and ``code`` in its class line, and
    ``retry_after`` where the same request may succeed later:
    ``class DocumentNotFoundError(DocintelError, status=404, code="document_not_found")``.
    A subclass that names no status keeps its parent's.
    """

    status_code: int = 500
    code: str = "internal_error"
    retry_after: int | None = None
    """Seconds after which the same request may succeed (sent as ``Retry-After``); None if retrying will not help."""

    def __init_subclass__(cls, *, code: str, status: int | None = None, retry_after: int | None = None) -> None:
        """Set the subclass's ``code``, and its ``status_code`` and ``retry_after`` where given."""
        super().__init_subclass__()
        cls.code = code
        if status is not None:
            cls.status_code = status
        if retry_after is not None:
            cls.retry_after = retry_after

    def __init__(self, message: str) -> None:
        """Create the error with a human-readable ``message``."""
        super().__init__(message)
        self.message = message


class AuthenticationError(DocintelError, status=401, code="unauthorized"):
    """Missing or wrong API key."""


class DocumentNotFoundError(DocintelError, status=404, code="document_not_found"):
    """The requested document does not exist."""


class RequestTimeoutError(DocintelError, status=408, code="request_timeout"):
    """The client stopped sending its request body."""


class ConflictError(DocintelError, status=409, code="write_conflict", retry_after=1):
    """Concurrent writes to the same document kept invalidating this one; the request can simply be retried."""


class PayloadTooLargeError(DocintelError, status=413, code="payload_too_large"):
    """The request body or uploaded file exceeds the configured limit."""


class UnsupportedMediaTypeError(DocintelError, status=415, code="unsupported_media_type"):
    """The uploaded file (or the request body) has a type the service cannot read."""


class UnprocessableContentError(DocintelError, status=422, code="unprocessable_content"):
    """The content is of a supported type but cannot be used (empty, corrupt PDF...)."""


class PdfTooComplexError(UnprocessableContentError, code="pdf_too_complex"):
    """Extracting a PDF's text would cost more CPU than its budget allows."""


class EmbeddingError(DocintelError, status=502, code="embedding_failed"):
    """The embedding backend failed or answered something unusable."""


class EmbeddingDimensionError(EmbeddingError, code="embedding_dimension_mismatch"):
    """The embedding backend returned vectors of an unexpected dimension."""


class IndexDimensionMismatchError(EmbeddingDimensionError, code="index_dimension_mismatch"):
    """The embedder's vectors do not fit the dimension of the vectors already stored."""


class IndexModelMismatchError(EmbeddingError, code="index_model_mismatch"):
    """The embedder's vectors have the stored ones' dimension but come from another model."""


class IndexSettingsMismatchError(DocintelError, status=503, code="index_settings_mismatch"):
    """The vector index was built with other settings (quantisation, HNSW M) than this service is configured for."""


class EmbeddingTimeoutError(EmbeddingError, status=504, code="embedding_timeout"):
    """The embedding backend did not answer in time (after retries)."""


class EmbedderUnavailableError(DocintelError, status=503, code="embedder_unavailable"):
    """The configured embedder cannot be used at all (missing libraries, bad config)."""


class StoreUnavailableError(DocintelError, status=503, code="store_unavailable", retry_after=1):
    """Redis cannot be reached (or went away during the request)."""


class WriteOutcomeUnknownError(StoreUnavailableError, code="write_outcome_unknown"):
    """Redis went away while a write was being committed: it may or may not have been applied."""


class WriteNotReplicatedError(StoreUnavailableError, code="write_not_replicated"):
    """The write reached the primary, but not the replicas it must reach before it is acknowledged."""
