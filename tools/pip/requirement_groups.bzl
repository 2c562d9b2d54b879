"""Repository rule: the dependency groups of requirements/*.in, as Starlark.

Example (MODULE.bazel):

    requirement_groups = use_repo_rule("//tools/pip:requirement_groups.bzl", "requirement_groups")
    requirement_groups(
        name = "requirement_groups",
        srcs = ["//requirements:base.in", "//requirements:ml.in"],
        lock = "//:requirements_lock.txt",
    )

writes `@requirement_groups//:groups.bzl` with `GROUPS = {"base": [...], ...}`,
so BUILD files take a group's packages from the one place that says what each
group wants (see //tools/pip:defs.bzl), and `UNLOCKED`: per group, the names
its .in file adds that the lock does not pin yet.
"""

def _names(text):
    """Package names of a requirements file, without versions, extras and options."""
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        for stop in ("=", "<", ">", "!", "~", "[", ";", " "):
            line = line.split(stop, 1)[0]
        names.append(line.strip())
    return names

def _normalized(name):
    """A package name as PEP 503 compares names: lower case, runs of -_. as one -."""
    parts = name.lower().replace("_", "-").replace(".", "-").split("-")
    return "-".join([part for part in parts if part])

def _locked(text):
    """The normalised names of the packages a pip-compile lock pins (`name==version` lines)."""
    return [
        _normalized(line.split("==", 1)[0].split("[", 1)[0])
        for line in text.splitlines()
        if line[:1].isalnum() and "==" in line
    ]

def _requirement_groups_impl(rctx):
    locked = {name: True for name in _locked(rctx.read(rctx.attr.lock))}
    groups = {}
    unlocked = {}
    for src in rctx.attr.srcs:
        group = src.name.removesuffix(".in")
        groups[group] = _names(rctx.read(src))
        unlocked[group] = [name for name in groups[group] if _normalized(name) not in locked]
    rctx.file("BUILD.bazel", "")
    rctx.file("groups.bzl", "# Generated from requirements/*.in and the lock.\n\nGROUPS = %s\n\nUNLOCKED = %s\n" % (
        json.encode_indent(groups),
        json.encode_indent(unlocked),
    ))

requirement_groups = repository_rule(
    doc = "Turns requirements/<group>.in files into a GROUPS dict: group -> package names.",
    implementation = _requirement_groups_impl,
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = True, doc = "The pip-compile lock (requirements_lock.txt)."),
        "srcs": attr.label_list(mandatory = True, allow_files = [".in"], doc = "One <group>.in file per group."),
    },
)
