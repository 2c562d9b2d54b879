"""stamp_tags: the file of tags oci_push gives an image.

Example:

    stamp_tags(name = "tags")

With `--stamp` the tags are the git commit (STABLE_GIT_COMMIT from
tools/workspace_status.sh) and `latest`; without it, just `latest`.
"""

def _stamp_tags_impl(ctx):
    tags = ctx.actions.declare_file(ctx.label.name + ".txt")
    if ctx.attr.stamp:
        ctx.actions.run_shell(
            inputs = [ctx.info_file],
            outputs = [tags],
            command = "awk '$1 == \"STABLE_GIT_COMMIT\" { print $2 } END { print \"latest\" }' %s > %s" %
                      (ctx.info_file.path, tags.path),
            mnemonic = "StampTags",
        )
    else:
        ctx.actions.write(tags, "latest\n")
    return [DefaultInfo(files = depset([tags]))]

stamp_tags = rule(
    doc = "Writes image tags: the git commit and `latest` when stamping, else `latest`.",
    implementation = _stamp_tags_impl,
    attrs = {
        "stamp": attr.bool(doc = "Set from a config_setting on --stamp (see tools/oci:stamp)."),
    },
)
