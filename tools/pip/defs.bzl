"""The pip targets of one dependency group (requirements/<group>.in): group_requirements, group_wheels;
and wheels_without_deps, a group's wheel files without those of their dependencies."""

load("@pip//:requirements.bzl", "requirement", "whl_requirement")
load("@pip_aarch64//:requirements.bzl", whl_requirement_aarch64 = "whl_requirement")
load("@requirement_groups//:groups.bzl", "GROUPS", "UNLOCKED")
load("//tools/platforms:defs.bzl", "per_platform")
load(":wheels_without_deps.bzl", _wheels_without_deps = "wheels_without_deps")

wheels_without_deps = _wheels_without_deps

def _group_packages(group):
    """The package names the group's .in file names."""
    if group not in GROUPS:
        fail("unknown dependency group %r: the groups are %s (one per requirements/*.in)" %
             (group, ", ".join(sorted(GROUPS))))
    if UNLOCKED[group]:
        fail(("%s in requirements/%s.in not in requirements_lock.txt: run `tools/bazel run " +
              "//:requirements.update` to lock it (and commit the lock)") % (", ".join(UNLOCKED[group]), group))
    return GROUPS[group]

def group_requirements(group):
    """The `requirement()` targets (py_library) of every package the group's .in file names.

    Args:
      group: the name of a requirements/*.in file (base, ml, dev, test, seed, lint).

    Returns:
      A list of labels of @pip packages.
    """
    return [requirement(name) for name in _group_packages(group)]

def group_wheels(group):
    """The `whl_requirement()` targets (the wheel files) of every package the group's .in file names.

    The wheels are the target platform's: @pip's (manylinux x86_64) for
    linux/amd64, @pip_aarch64's for linux/arm64, both from the one lock.

    Args:
      group: the name of a requirements/*.in file (base, ml, dev, test, seed, lint).

    Returns:
      A select() of lists of wheel labels; each carries its dependencies' wheels as runfiles.
    """
    names = _group_packages(group)
    return per_platform(
        amd64 = [whl_requirement(name) for name in names],
        arm64 = [whl_requirement_aarch64(name) for name in names],
    )
