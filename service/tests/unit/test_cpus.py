"""available_cpus: affinity capped by a cgroup CPU quota (v2 and v1), on made-up cgroup trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docintel.core.cpus import available_cpus, cgroup_cpu_limit


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def affinity() -> int:
    return len(os.sched_getaffinity(0))


def test_v2_container_quota(tmp_path: Path, affinity: int) -> None:
    proc = _write(tmp_path / "proc", "0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "150000 100000\n")
    assert cgroup_cpu_limit(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == 1.5
    assert available_cpus(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == min(affinity, 2)


def test_v2_quota_rounds_up_and_never_exceeds_affinity(tmp_path: Path, affinity: int) -> None:
    proc = _write(tmp_path / "proc", "0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "50000 100000\n")
    assert available_cpus(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == 1
    _write(tmp_path / "cg" / "cpu.max", f"{(affinity + 5) * 100000} 100000\n")
    assert available_cpus(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == affinity


def test_v2_tightest_of_the_cgroup_and_its_parents(tmp_path: Path) -> None:
    proc = _write(tmp_path / "proc", "0::/machine/pod/app\n")
    _write(tmp_path / "cg" / "cpu.max", "max 100000\n")
    _write(tmp_path / "cg" / "machine" / "cpu.max", "300000 100000\n")
    _write(tmp_path / "cg" / "machine" / "pod" / "cpu.max", "120000 100000\n")
    _write(tmp_path / "cg" / "machine" / "pod" / "app" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_limit(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == 1.2


def test_v2_unlimited(tmp_path: Path, affinity: int) -> None:
    proc = _write(tmp_path / "proc", "0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_limit(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) is None
    assert available_cpus(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == affinity


def test_v1_quota(tmp_path: Path) -> None:
    proc = _write(tmp_path / "proc", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    _write(tmp_path / "cg" / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "250000\n")
    _write(tmp_path / "cg" / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "cg" / "cpu,cpuacct" / "cpu.cfs_quota_us", "-1\n")
    _write(tmp_path / "cg" / "cpu,cpuacct" / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_limit(cgroup_root=tmp_path / "cg", proc_self_cgroup=proc) == 2.5


def test_no_cgroup_information(tmp_path: Path, affinity: int) -> None:
    assert cgroup_cpu_limit(cgroup_root=tmp_path, proc_self_cgroup=tmp_path / "missing") is None
    garbage = _write(tmp_path / "proc", "not a cgroup line\n0::/\n")
    _write(tmp_path / "cg" / "cpu.max", "garbage\n")
    assert available_cpus(cgroup_root=tmp_path / "cg", proc_self_cgroup=garbage) == affinity


def test_this_process() -> None:
    assert 1 <= available_cpus() <= (os.cpu_count() or 1)
