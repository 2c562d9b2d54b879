"""oci_push: pushes an image to a registry with crane (names follow rules_oci).

Example:

    oci_push(
        name = "push_ml",
        image = ":ml",
        repository = "registry.example/docintel/ml",
    )

`bazel run :push_ml -- --repository HOST/NAME --tag v1` overrides the
repository and adds a tag. The tags are `remote_tags`' lines if given, else
`latest`, with the git commit before it when stamping (`--stamp`, or
`stamp = 1`). crane is the pinned Debian package @crane, a label of the rule.
Credentials come from the Docker config (~/.docker/config.json).
"""

load(":providers.bzl", "IMAGE_OR_INDEX", "image_or_index")
load(":runfiles.bzl", "RUNFILES_LIB", "rlocation_path", "runner_runfiles")
load(":stamp.bzl", "STAMP_ATTRS", "maybe_stamp")

# What oci_push and oci_push_all have in common.
PUSH_ATTRS = dict(STAMP_ATTRS, **{
    "repository": attr.string(doc = "REGISTRY/NAME to push to; `--repository` at run time overrides it. Make variables are expanded, e.g. `$(PUSH_REPOSITORY)` from `--define`."),
    "remote_tags": attr.label(allow_single_file = True, doc = "File with one tag per line; default: `latest`, after the git commit when stamping."),
    "_crane": attr.label(default = "@crane//:crane", allow_single_file = True, executable = True, cfg = "target", doc = "crane, pinned."),
    "_runfiles_lib": RUNFILES_LIB,
    "_runner": attr.label(default = "push.sh.tpl", allow_single_file = True, doc = "The runner's template."),
})

def push_runner(ctx, images, names):
    """Writes the runner that pushes `images` and returns its DefaultInfo.

    Args:
      ctx: the context of a rule with PUSH_ATTRS.
      images: list of OciImageInfo or OciImageIndexInfo to push, in order.
      names: per image, its sub-repository under the repository; an empty
        list pushes the one image to the repository itself.

    Returns:
      DefaultInfo with the executable runner and its runfiles.
    """
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    stamp = maybe_stamp(ctx)
    status = [stamp.stable_status_file] if stamp else []
    tags = [ctx.file.remote_tags] if ctx.file.remote_tags else []

    def words(files):
        return " ".join([rlocation_path(ctx, f) for f in files])

    ctx.actions.expand_template(
        template = ctx.file._runner,
        output = runner,
        substitutions = {
            "{{crane}}": rlocation_path(ctx, ctx.executable._crane),
            "{{digests}}": words([image.digest for image in images]),
            "{{label}}": str(ctx.label),
            "{{layouts}}": words([image.layout for image in images]),
            "{{names}}": " ".join(names),
            "{{repository}}": ctx.expand_make_variables("repository", ctx.attr.repository, {}),
            "{{stable_status}}": words(status),
            "{{tags}}": words(tags),
        },
        is_executable = True,
    )
    files = [ctx.executable._crane] + status + tags
    for image in images:
        files += [image.layout, image.digest]
    return DefaultInfo(executable = runner, runfiles = runner_runfiles(ctx, files))

def _oci_push_impl(ctx):
    return [push_runner(ctx, [image_or_index(ctx.attr.image)], [])]

oci_push = rule(
    doc = "`bazel run` pushes the image by digest, then points each remote tag at it.",
    implementation = _oci_push_impl,
    attrs = dict(PUSH_ATTRS, **{
        "image": attr.label(mandatory = True, providers = IMAGE_OR_INDEX, doc = "The oci_image (or oci_image_index: every platform's image, then the index) to push."),
    }),
    executable = True,
)
