"""An exclusive, process-wide file lock so concurrent starts fetch a model once."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


@contextlib.contextmanager
def exclusive_lock(path: Path, *, on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold an exclusive ``fcntl.flock`` on ``path`` for the ``with`` block.

    Blocks until the lock is free, calling ``on_wait`` once if it has to wait.
    Yields True when the lock is held, or False when ``path`` cannot be created
    because the cache is read-only: then nothing can be written anyway, and
    readers need no lock.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno in _READ_ONLY_ERRNOS:
            yield False
            return
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)
