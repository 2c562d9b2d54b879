"""group_requirements: the pip targets of one dependency group (requirements/<group>.in)."""

load("@pip//:requirements.bzl", "requirement")
load("@requirement_groups//:groups.bzl", "GROUPS")

def group_requirements(group):
    """The `requirement()` targets of every package the group's .in file names.

    Args:
      group: base, ml, dev or test (one per requirements/*.in).

    Returns:
      A list of labels of @pip packages.
    """
    if group not in GROUPS:
        fail("unknown dependency group %r: the groups are %s (one per requirements/*.in)" %
             (group, ", ".join(sorted(GROUPS))))
    return [requirement(name) for name in GROUPS[group]]
