"""Repository rule: the dependency groups of requirements/*.in, as Starlark.

Example (MODULE.bazel):

    requirement_groups = use_repo_rule("//tools/pip:requirement_groups.bzl", "requirement_groups")
    requirement_groups(
        name = "requirement_groups",
        srcs = ["//requirements:base.in", "//requirements:ml.in"],
    )

writes `@requirement_groups//:groups.bzl` with `GROUPS = {"base": [...], ...}`,
so BUILD files take a group's packages from the one place that says what each
group wants (see //tools/pip:defs.bzl).
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

def _requirement_groups_impl(rctx):
    groups = {}
    for src in rctx.attr.srcs:
        groups[src.name.removesuffix(".in")] = _names(rctx.read(src))
    rctx.file("BUILD.bazel", "")
    rctx.file("groups.bzl", "# Generated from requirements/*.in.\n\nGROUPS = %s\n" % json.encode_indent(groups))

requirement_groups = repository_rule(
    doc = "Turns requirements/<group>.in files into a GROUPS dict: group -> package names.",
    implementation = _requirement_groups_impl,
    attrs = {
        "srcs": attr.label_list(mandatory = True, allow_files = [".in"], doc = "One <group>.in file per group."),
    },
)
