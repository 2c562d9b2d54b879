"""release_free_heap: free memory held in the middle of glibc's heap goes back to the system."""

from __future__ import annotations

import ctypes

from docintel.core.heap import release_free_heap

BLOCK = 64 * 1024  # below glibc's mmap threshold: these come from the heap
BLOCKS = 1600  # 100 MiB


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_memory_freed_under_a_live_block_is_returned() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)  # touched: resident
    pin = libc.malloc(BLOCK)  # above them all: free() cannot shrink the heap from its top
    for block in blocks:
        libc.free(block)
    held = _rss_mib()
    try:
        assert release_free_heap()
        assert _rss_mib() < held - 50, "malloc_trim returned less than half of the 100 MiB freed"
    finally:
        libc.free(pin)
