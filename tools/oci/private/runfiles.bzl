"""Runfiles paths for runners that look files up with the Bash runfiles library.

Example:

    load(":runfiles.bzl", "RUNFILES_LIB", "rlocation_path")

    attrs = {"_runfiles_lib": RUNFILES_LIB, ...}
    ctx.actions.expand_template(..., substitutions = {"{{layout}}": rlocation_path(ctx, layout)})

The runner starts with the library's initialization (see push.sh.tpl) and
calls `rlocation "{{layout}}"`; the rule merges the library's runfiles into its own.
"""

# The Bash runfiles library every runner template sources.
RUNFILES_LIB = attr.label(
    default = "@bazel_tools//tools/bash/runfiles",
    doc = "The Bash runfiles library (rlocation).",
)

def rlocation_path(ctx, file):
    """The path of `file` to give `rlocation`: `<repository>/<path>` (the main repository's is the workspace name)."""
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path

def runner_runfiles(ctx, files):
    """Runfiles of a runner: `files` and the Bash runfiles library."""
    return ctx.runfiles(files).merge(ctx.attr._runfiles_lib[DefaultInfo].default_runfiles)
