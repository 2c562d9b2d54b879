"""How many CPUs this process may really use: its affinity, capped by a cgroup CPU quota.

``os.cpu_count()`` counts the host's CPUs. A container limited with
``--cpus=1.5`` (a cgroup quota) or ``--cpuset-cpus`` (affinity) gets fewer,
and a thread pool sized to the host's count only makes threads wait on each
other. A quota rounds up (1.5 CPUs: 2 threads).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["available_cpus", "cgroup_cpu_limit"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")
# Where cgroup v1 mounts the cpu controller, by distribution.
_V1_MOUNTS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


def available_cpus(*, cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP) -> int:
    """CPUs in this process's affinity mask, capped by its cgroup's CPU quota; at least 1."""
    count = len(os.sched_getaffinity(0))
    limit = cgroup_cpu_limit(cgroup_root=cgroup_root, proc_self_cgroup=proc_self_cgroup)
    if limit is not None:
        count = min(count, math.ceil(limit))
    return max(1, count)


def cgroup_cpu_limit(*, cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP) -> float | None:
    """The tightest CPU quota (in CPUs) on this process's cgroup and its parents; None if unlimited.

    cgroup v2 (``cpu.max``: ``"<quota> <period>"`` or ``"max <period>"``) and
    v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, -1 for none) are read.
    """
    try:
        lines = proc_self_cgroup.read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    limits: list[float | None] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            limits += [_v2_limit(d) for d in _self_and_parents(cgroup_root, path)]
        elif "cpu" in controllers.split(","):
            mounts = [cgroup_root / name for name in _V1_MOUNTS if (cgroup_root / name).is_dir()]
            limits += [_v1_limit(d) for mount in mounts[:1] for d in _self_and_parents(mount, path)]
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _self_and_parents(root: Path, path: str) -> list[Path]:
    """``root/path`` and each parent up to ``root`` (inside a container the path is often just ``/``)."""
    directory = root / path.strip("/")
    chain = [directory, *directory.parents]
    return [d for d in chain if d == root or root in d.parents]


def _v2_limit(directory: Path) -> float | None:
    fields = _read(directory / "cpu.max").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return _ratio(fields[0], fields[1])


def _v1_limit(directory: Path) -> float | None:
    return _ratio(_read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us"))


def _ratio(quota: str, period: str) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return quota_us / period_us


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""
