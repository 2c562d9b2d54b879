"""oci_push: pushes an image to a registry with crane (names follow rules_oci).

Example:

    oci_push(
        name = "push_ml",
        image = ":ml",
        repository = "registry.example/docintel/ml",
        remote_tags = ":tags",
    )

`bazel run :push_ml -- --repository HOST/NAME --tag v1` overrides both.
Credentials come from the Docker config (~/.docker/config.json).
"""

load(":providers.bzl", "OciImageInfo")

def _oci_push_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    tags = ctx.file.remote_tags
    ctx.actions.expand_template(
        template = ctx.file._runner,
        output = runner,
        substitutions = {
            "{{digest}}": image.digest.short_path,
            "{{image}}": str(ctx.attr.image.label),
            "{{label}}": str(ctx.label),
            "{{layout}}": image.layout.short_path,
            "{{repository}}": ctx.attr.repository,
            "{{tags}}": tags.short_path if tags else "",
        },
        is_executable = True,
    )
    files = [image.layout, image.digest] + ([tags] if tags else [])
    return [DefaultInfo(executable = runner, runfiles = ctx.runfiles(files))]

oci_push = rule(
    doc = "`bazel run` pushes the image by digest, then points each remote tag at it.",
    implementation = _oci_push_impl,
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "The oci_image to push."),
        "repository": attr.string(doc = "REGISTRY/NAME to push to; `--repository` at run time overrides it."),
        "remote_tags": attr.label(allow_single_file = True, doc = "File with one tag per line (default: latest)."),
        "_runner": attr.label(default = "push.sh.tpl", allow_single_file = True),
    },
    executable = True,
)
