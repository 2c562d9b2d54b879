"""oci_push_all: pushes several images in one go, each to its own repository.

Example:

    oci_push_all(
        name = "push",
        images = [":base", ":ml", ":dev"],
        repository = "$(PUSH_REPOSITORY)",
    )

`bazel run :push -- --repository REGISTRY/NAME` pushes each image to
REGISTRY/NAME/<image name> (here .../base, .../ml, .../dev). Every image goes
up by digest first; tags move only once all of them are in, so a failed push
leaves every tag where it was. Layers the images share go up once: a later
image mounts them from the repository of an earlier one. Tags, stamping, the
remote cache and runfiles (metadata only) as for oci_push.
"""

load(":providers.bzl", "IMAGE_OR_INDEX", "image_or_index")
load(":push.bzl", "PUSH_ATTRS", "push_runner")

def _oci_push_all_impl(ctx):
    images = [image_or_index(image) for image in ctx.attr.images]
    return [push_runner(ctx, images, [image.label.name for image in ctx.attr.images])]

oci_push_all = rule(
    doc = "`bazel run` pushes every image to REPOSITORY/<image name> by digest, then moves the tags of all.",
    implementation = _oci_push_all_impl,
    attrs = dict(PUSH_ATTRS, **{
        "images": attr.label_list(mandatory = True, providers = IMAGE_OR_INDEX, doc = "oci_image (or oci_image_index) targets; each goes to the repository's sub-repository named like the target."),
    }),
    executable = True,
)
