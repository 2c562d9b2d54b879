"""Labels as people write them, for messages and metadata.

Example:

    load(":labels.bzl", "label_text")

    label_text(ctx.label)  # "//images:ml", not "@@//images:ml"
"""

def label_text(label):
    """`//pkg:name` for a label of the main repository, else the label as Bazel prints it."""
    return "//%s:%s" % (label.package, label.name) if not label.workspace_name else str(label)
