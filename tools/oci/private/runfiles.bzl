"""Runfiles paths for runners that find their files under $RUNFILES_DIR (or `$0.runfiles`).

Example:

    load(":runfiles.bzl", "rlocation_path")

    ctx.actions.expand_template(..., substitutions = {"{{layout}}": rlocation_path(ctx, layout)})

The runner (see load.sh.tpl, push.sh.tpl) reads "$runfiles/{{layout}}". These
runners run on the host, outside tools/bazel's build root, where the Bash
runfiles library of @bazel_tools (Debian's, in the root) does not exist.
"""

def rlocation_path(ctx, file):
    """The runfiles path of `file`: `<repository>/<path>` (the main repository's is the workspace name)."""
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path
