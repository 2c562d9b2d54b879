"""What a push prints as it goes: one line per blob, progress of long uploads, a summary.

oci_push: pushing 127.0.0.1:5000/docintel/ml@sha256:...
oci_push:   torch 132.8 MB sha256:3fd601a23f07: uploading from the remote cache http://...
oci_push:   torch 64.0 of 132.8 MB (48%)
oci_push:   app 50.6 kB sha256:7ee7ea71de00: mounted from docintel/base
oci_push: 3 images pushed; 16 blobs: 9 present, 5 mounted, 2 uploaded (55.2 kB: 55.2 kB from local
outputs, 0 B from the remote cache)
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Protocol, TextIO

from image_metadata import Blob

# A long upload says how far it got this often.
PROGRESS_SECONDS = 5.0
SOURCES = {"local": "local outputs", "layout": "local image layouts", "cache": "the remote cache"}


class BlobOutcome(Protocol):
    """What the summary needs of a blob's report."""

    @property
    def size(self) -> int:
        """Bytes."""

    @property
    def action(self) -> str:
        """present, mounted or uploaded."""

    @property
    def source(self) -> str:
        """For an upload: local, layout or cache."""


def size_text(size: float) -> str:
    """Bytes in decimal units: `812 B`, `55.0 kB`, `132.8 MB`, `1.1 GB`."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} B"


def blob_name(blob: Blob) -> str:
    """A layer's title, or `config`, or the blob's label."""
    if blob.descriptor.title:
        return blob.descriptor.title
    return "config" if "config" in blob.descriptor.media_type else blob.label


class Progress:
    """Prints `oci_push: ...` lines to `stream`, one at a time from any thread."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        """Lines go to `stream`."""
        self.stream = stream
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        """One line (or several) prefixed `oci_push: `."""
        with self._lock:
            for line in text.splitlines():
                self.stream.write(f"oci_push: {line}\n")
            self.stream.flush()

    def blob(self, blob: Blob, what: str) -> None:
        """A blob's line: name, size, short digest, what happens to it."""
        short = blob.descriptor.digest[: len("sha256:") + 12]
        self.say(f"  {blob_name(blob)} {size_text(blob.descriptor.size)} {short}: {what}")

    def counted(self, blob: Blob, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Passes `chunks` on, saying how far the upload got every PROGRESS_SECONDS."""
        total, sent, last = blob.descriptor.size, 0, time.monotonic()
        for chunk in chunks:
            yield chunk
            sent += len(chunk)
            if time.monotonic() - last >= PROGRESS_SECONDS and sent < total:
                last = time.monotonic()
                self.say(f"  {blob_name(blob)} {size_text(sent)} of {size_text(total)} ({100 * sent // total}%)")

    def summary(self, blobs: Sequence[BlobOutcome], *, pushed: int) -> None:
        """The last line: images, blobs by outcome, bytes uploaded by source."""
        count = {action: sum(1 for b in blobs if b.action == action) for action in ("present", "mounted", "uploaded")}
        sent = {
            source: sum(b.size for b in blobs if b.action == "uploaded" and b.source == source) for source in SOURCES
        }
        by_source = ", ".join(f"{size_text(sent[s])} from {SOURCES[s]}" for s in SOURCES if sent[s] or s != "layout")
        head = f"{pushed} images pushed" if pushed else "stopped"
        self.say(
            f"{head}; {len(blobs)} blobs: {count['present']} present, {count['mounted']} mounted, "
            f"{count['uploaded']} uploaded ({size_text(sum(sent.values()))}: {by_source})"
        )
