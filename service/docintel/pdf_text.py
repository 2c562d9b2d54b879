"""PDF text extraction with a CPU budget, in a separate, lower-priority process.

pypdf is pure Python: a PDF of a few kilobytes can hold hundreds of thousands
of text operators and cost many seconds of CPU.  Extraction therefore runs in
a child process (forked from a forkserver, so it is cheap and safe in a
threaded server) that

* may use at most ``cpu_seconds`` of CPU (``RLIMIT_CPU``; the kernel stops it),
* runs at a lower priority (nice 10), so searches keep the CPU meanwhile,
* and never runs more than one per spare CPU at a time.

pypdf itself is imported only there (the forkserver preloads it): the service's
own process never holds it, about 8 MB less of its memory.
"""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import os
import resource
import threading
from multiprocessing.connection import Connection
from typing import Any

from docintel.core.cpus import available_cpus
from docintel.errors import PdfTooComplexError, UnprocessableContentError

__all__ = ["PDF_MAGIC", "extract_pdf_text", "pdf_cpu_budget"]

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
_MIB = 1024 * 1024
_NICENESS = 10
_WALL_FACTOR = 4.0
"""Wall-clock bound as a multiple of the CPU budget (a busy machine gives the child less than all of a CPU)."""
_WALL_MARGIN = 10.0
_CONCURRENT = threading.BoundedSemaphore(max(1, available_cpus() - 1))
_context_lock = threading.Lock()
_context: Any = None


def pdf_cpu_budget(size: int, *, seconds_per_mib: float) -> float:
    """CPU seconds allowed for a PDF of ``size`` bytes: ``seconds_per_mib`` per started MiB."""
    return seconds_per_mib * max(1, math.ceil(size / _MIB))


def extract_pdf_text(content: bytes, *, cpu_seconds: float) -> str:
    """The text of every page, pages separated by blank lines; 422 if unreadable or over budget."""
    if not content.startswith(PDF_MAGIC):
        raise UnprocessableContentError("file is not a valid PDF (it does not start with %PDF-)")
    with _CONCURRENT:
        context = _forkserver()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_extract_in_child, args=(content, sender, cpu_seconds), daemon=True)
        process.start()
        sender.close()
        try:
            outcome = _receive(receiver, timeout=_WALL_FACTOR * cpu_seconds + _WALL_MARGIN)
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
            process.join()
    if outcome is None:
        logger.info("pdf extraction stopped", extra={"exitcode": process.exitcode, "budget": cpu_seconds})
        raise PdfTooComplexError(
            f"extracting the text of this PDF needs more than its {cpu_seconds:g} s of CPU "
            "(DOCINTEL_PDF_CPU_SECONDS_PER_MIB per MiB); upload its text instead, or split it"
        )
    kind, value = outcome
    if kind == "error":
        raise UnprocessableContentError(value)
    return value


def _forkserver() -> Any:
    """The forkserver context, its server preloading this module and pypdf."""
    global _context  # noqa: PLW0603 - one forkserver per process
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "pypdf"])
            _context = context
        return _context


def _receive(receiver: Connection, *, timeout: float) -> tuple[str, str] | None:
    """The child's ``(kind, value)``, or None if it died (CPU limit) or took too long."""
    try:
        if receiver.poll(timeout):
            kind, value = receiver.recv()
            return str(kind), str(value)
    except (EOFError, OSError):
        pass
    return None


def _extract_in_child(content: bytes, sender: Connection, cpu_seconds: float) -> None:
    """Child process: limit itself, extract, send ``("text", ...)`` or ``("error", message)``."""
    limit = max(1, math.ceil(cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    os.nice(_NICENESS)
    try:
        sender.send(("text", _text(content)))
    except UnprocessableContentError as exc:
        sender.send(("error", exc.message))
    finally:
        sender.close()


def _text(content: bytes) -> str:
    """Pypdf's text of every page (in the child: the service's process never imports pypdf)."""
    from pypdf import PdfReader  # preloaded by the forkserver; never in the service's process

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnprocessableContentError("PDF is encrypted with a password; upload an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnprocessableContentError:
        raise
    except Exception as exc:  # untrusted input: any parser failure means "not readable"
        raise UnprocessableContentError(f"file is not a readable PDF: {exc}") from exc
    return "\n\n".join(page.strip() for page in pages if page.strip())
