"""oci_push: pushes an image to a registry (names follow rules_oci).

Example:

    oci_push(
        name = "push_ml",
        image = ":ml",
        repository = "registry.example/docintel/ml",
    )

`bazel run :push_ml -- --repository HOST/NAME --tag v1` overrides the
repository and adds a tag. The tags are `remote_tags`' lines if given, else
`latest`, with the git commit before it when stamping (`--stamp`, or
`stamp = 1`); a tag the OCI distribution spec does not allow stops the push
before anything goes up. The runner's runfiles are the image's metadata only (manifest,
config, blobs.json), never its layers: the push tool (tools/oci/push.py)
takes each blob the registry lacks from the build's local output, else
streams it from the remote cache (`--remote-cache URL`), so under
`--remote_download_minimal` the layers never come to this machine's disk.
Credentials come from the Docker config (~/.docker/config.json) and the
credential helpers it names: the runner runs on the host (tools/bazel), with
the host's python3 (standard library only).
"""

load(":labels.bzl", "label_text")
load(":providers.bzl", "IMAGE_OR_INDEX", "image_or_index")
load(":runfiles.bzl", "rlocation_path")
load(":stamp.bzl", "STAMP_ATTRS", "maybe_stamp")

# What oci_push and oci_push_all have in common.
PUSH_ATTRS = dict(STAMP_ATTRS, **{
    "repository": attr.string(doc = "REGISTRY/NAME to push to; `--repository` at run time overrides it. Make variables are expanded, e.g. `$(PUSH_REPOSITORY)` from `--define`."),
    "remote_tags": attr.label(allow_single_file = True, doc = "File with one tag per line; default: `latest`, after the git commit when stamping."),
    "_push_lib": attr.label(default = "//tools/oci:push_lib", doc = "The push tool's modules (standard library only)."),
    "_push_tool": attr.label(default = "//tools/oci:push.py", allow_single_file = True, doc = "The push tool the runner starts with the host's python3."),
    "_runner": attr.label(default = "push.sh.tpl", allow_single_file = True, doc = "The runner's template."),
})

def _members(image):
    """The images an OciImageInfo or OciImageIndexInfo pushes: itself, or each platform's."""
    return image.pushed if hasattr(image, "index") else [image]

def _spec_entry(ctx, image, name):
    """The push spec's entry of an image, or of an index (its images, then the index)."""
    entries = [{"blobs": rlocation_path(ctx, m.blobs), "manifest": rlocation_path(ctx, m.manifest)} for m in _members(image)]
    if not hasattr(image, "index"):
        return dict(entries[0], name = name)
    return {"images": entries, "index": rlocation_path(ctx, image.index), "label": image.label, "name": name}

def push_runner(ctx, images, names):
    """Writes the runner that pushes `images` and returns its DefaultInfo.

    The runner's runfiles hold each image's metadata, not its layout (see the
    module docstring); its spec (tools/oci/push_spec.py) names them.

    Args:
      ctx: the context of a rule with PUSH_ATTRS.
      images: list of OciImageInfo or OciImageIndexInfo to push, in order.
      names: per image, its sub-repository under the repository; an empty
        list pushes the one image to the repository itself.

    Returns:
      DefaultInfo with the executable runner and its runfiles.
    """
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    spec = ctx.actions.declare_file(ctx.label.name + ".push.json")
    stamp = maybe_stamp(ctx)
    status = stamp.stable_status_file if stamp else None
    tags = ctx.file.remote_tags
    ctx.actions.write(spec, json.encode_indent({
        "images": [_spec_entry(ctx, image, name) for image, name in zip(images, names or [""])],
        "label": label_text(ctx.label),
        "repository": ctx.expand_make_variables("repository", ctx.attr.repository, {}),
        # As written: the push's usage names the --define that sets it, if one does.
        "repository_attribute": ctx.attr.repository,
        "stable_status": rlocation_path(ctx, status) if status else None,
        "tags_file": rlocation_path(ctx, tags) if tags else None,
    }))
    ctx.actions.expand_template(
        template = ctx.file._runner,
        output = runner,
        substitutions = {
            "{{label}}": label_text(ctx.label),
            "{{push_tool}}": rlocation_path(ctx, ctx.file._push_tool),
            "{{push_tool_dir}}": rlocation_path(ctx, ctx.file._push_tool).rpartition("/")[0],
            "{{spec}}": rlocation_path(ctx, spec),
        },
        is_executable = True,
    )
    files = [spec] + ([status] if status else []) + ([tags] if tags else [])
    for image in images:
        for member in _members(image):
            files += member.metadata.to_list()
        if hasattr(image, "index"):
            files.append(image.index)
    runfiles = ctx.runfiles(files + [ctx.file._push_tool]).merge(ctx.attr._push_lib[DefaultInfo].default_runfiles)
    return DefaultInfo(executable = runner, runfiles = runfiles)

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
