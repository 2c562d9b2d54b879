"""Document endpoints: ingest (JSON or file upload), list, read, delete.

All of them require the API key when ``DOCINTEL_API_KEY`` is set — reads too,
since they return document content.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePath
from typing import Annotated

from fastapi import Depends, File, Form, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from docintel.api.deps import (
    DocumentsDep,
    SettingsDep,
    StoreDep,
    require_json,
    require_multipart,
    require_single_file,
)
from docintel.api.errors import describe_errors
from docintel.api.routes.resource import resource_router
from docintel.errors import PayloadTooLargeError, UnprocessableContentError
from docintel.extract import detect_kind, extract_text
from docintel.schemas import (
    DOCUMENT_ID_PATTERN,
    DocumentCreate,
    DocumentCreated,
    DocumentPage,
    DocumentPublic,
    DocumentSummary,
    is_blank,
)
from docintel.store.records import DocumentRecord

__all__ = ["router"]

router = resource_router("documents")

_INGEST_ERRORS = describe_errors(409, 413, 415, 502, 504)
_READ_CHUNK = 1024 * 1024


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_json)],
    responses=_INGEST_ERRORS,
    summary="Ingest a document given as JSON",
)
def create_document(body: DocumentCreate, documents: DocumentsDep) -> DocumentCreated:
    """Chunk, embed and store a document; an existing ``id`` is replaced atomically."""
    record = documents.ingest(document_id=body.id, title=body.title, text=body.text, metadata=body.metadata)
    return DocumentCreated(id=record.id, chunks=record.chunks)


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_multipart), Depends(require_single_file)],
    responses=_INGEST_ERRORS,
    summary="Ingest an uploaded text, Markdown or PDF file",
)
async def upload_document(
    documents: DocumentsDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="text/plain, text/markdown or application/pdf")],
    title: Annotated[str | None, Form(max_length=1000)] = None,
    document_id: Annotated[str | None, Form(alias="id", pattern=DOCUMENT_ID_PATTERN)] = None,
) -> DocumentCreated:
    """Extract the file's text, then ingest it like ``POST /v1/documents``."""
    limit = settings.max_upload_bytes
    content = bytearray()
    while chunk := await file.read(_READ_CHUNK):
        content.extend(chunk)
        if len(content) > limit:
            raise PayloadTooLargeError(
                f"uploaded file exceeds the limit of {limit} bytes; send a smaller file (DOCINTEL_MAX_UPLOAD_BYTES)"
            )
    data = bytes(content)
    kind = detect_kind(content=data, content_type=file.content_type, filename=file.filename)
    text = await run_in_threadpool(
        extract_text, content=data, kind=kind, pdf_cpu_seconds_per_mib=settings.pdf_cpu_seconds_per_mib
    )
    if is_blank(text):
        raise UnprocessableContentError("the uploaded file contains no text; upload a file with text in it")
    resolved_title = _upload_title(title, file.filename)
    record = await run_in_threadpool(
        documents.ingest, document_id=document_id, title=resolved_title, text=text, metadata={}
    )
    return DocumentCreated(id=record.id, chunks=record.chunks)


@router.get("", summary="List documents (oldest first)")
def list_documents(
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DocumentPage:
    """One page of documents without their text."""
    records, total = store.list_documents(offset=offset, limit=limit)
    return DocumentPage(items=[_summary(r) for r in records], total=total, offset=offset, limit=limit)


@router.get("/{document_id}", responses=describe_errors(404), summary="Read one document")
def read_document(document_id: str, documents: DocumentsDep) -> DocumentPublic:
    """The document with its text, metadata, chunk count and timestamps."""
    record = documents.get(document_id=document_id)
    summary = _summary(record)
    return DocumentPublic(**summary.model_dump(), text=record.text)


@router.delete(
    "/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=describe_errors(404, 409),
    summary="Delete a document with its chunks and vectors",
)
def delete_document(document_id: str, documents: DocumentsDep) -> Response:
    """Remove the document; 404 if it does not exist."""
    documents.delete(document_id=document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _upload_title(title: str | None, filename: str | None) -> str:
    """The given title, else the file name, else ``untitled``."""
    if title and title.strip():
        return title
    if filename and PurePath(filename).name.strip():
        return PurePath(filename).name[:1000]
    return "untitled"


def _summary(record: DocumentRecord) -> DocumentSummary:
    """API view of a stored record."""
    return DocumentSummary(
        id=record.id,
        title=record.title,
        metadata=record.metadata,
        chunks=record.chunks,
        created_at=datetime.fromtimestamp(record.created_at, tz=UTC),
        updated_at=datetime.fromtimestamp(record.updated_at, tz=UTC),
    )
