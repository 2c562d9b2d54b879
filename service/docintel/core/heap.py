"""Giving the C heap's free memory back to the system after a model load.

Opening a model allocates far more than it keeps: ONNX Runtime parses the
whole graph file, then copies its weights out of it; torch reads the
safetensors before it builds its tensors. glibc's allocator keeps what was
freed in its heap, so the process stays that much bigger for its lifetime
(about 30 MB for all-MiniLM-L6-v2 under ONNX Runtime). ``malloc_trim(0)``
returns the free pages, from the middle of the heap too. On a C library
without it (musl) this does nothing.
"""

from __future__ import annotations

import ctypes

__all__ = ["release_free_heap"]


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system; whether glibc's ``malloc_trim`` was there to do it."""
    try:  # the symbols the interpreter is linked with: the C library's among them
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    return True
