"""The tar header every tar our OCI tools write starts from: same input, same bytes."""

from __future__ import annotations

import tarfile


def header(
    name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, *, size: int = 0, uid: int = 0, gid: int = 0
) -> tarfile.TarInfo:
    """A header dated 0, owned by uid:gid (root by default) with no user or group names."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.uid, info.gid = uid, gid
    info.uname = info.gname = ""
    info.mtime = 0
    return info
