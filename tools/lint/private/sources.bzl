"""lint_sources: the files of a package, and of every package below it, that the lint tests check.

Example (every BUILD.bazel):

    load("//tools/lint:defs.bzl", "lint_sources")

    lint_sources()

declares `:lint_python`, `:lint_starlark` and `:lint_shell`: this package's
files of each kind plus the same targets of its direct subpackages, so the
root package's targets hold the whole workspace (//tools/lint's tests read
them). A package without the call breaks the build of its parent's targets
("no such target '//pkg:lint_python'"): add the two lines above to it.
"""

_KINDS = {
    "python": ["**/*.py"],
    "shell": [
        "**/*.sh",
        "**/*.sh.tpl",
    ],
    "starlark": [
        "**/*.bzl",
        "**/*.BUILD",
        "BUILD.bazel",
        "MODULE.bazel",
    ],
}

def lint_sources(name = "lint", python = None, shell = None, starlark = None, subpackages = ["**"]):
    """Declares the <name>_<kind> filegroups of this package and the packages below it.

    Args:
      name: prefix of the filegroups; the packages below must use the same.
      python: glob patterns of Python files (default `**/*.py`).
      shell: glob patterns of shell scripts (default `*.sh` and `*.sh.tpl`
        files); name scripts without an extension here.
      starlark: glob patterns of Starlark files (default `.bzl`, `.BUILD`,
        BUILD.bazel and MODULE.bazel).
      subpackages: where to look for the packages below (glob patterns). The
        workspace root must not use `**`: the search would walk Bazel's
        output trees through the bazel-* links.
    """
    package = native.package_name()
    below = [
        package + "/" + sub if package else sub
        for sub in native.subpackages(include = subpackages, exclude = ["bazel-*"], allow_empty = True)
    ]
    patterns = {"python": python, "shell": shell, "starlark": starlark}
    for kind, default in _KINDS.items():
        native.filegroup(
            name = "%s_%s" % (name, kind),
            srcs = native.glob(default if patterns[kind] == None else patterns[kind], allow_empty = True) +
                   ["//%s:%s_%s" % (sub, name, kind) for sub in below],
            visibility = ["//:__subpackages__"],
        )
