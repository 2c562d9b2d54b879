"""oci_image_index: one image per platform under one digest (names follow rules_oci).

Example:

    oci_image(name = "base_image", ...)

    oci_image_index(
        name = "base",
        images = [":base_image"],
        platforms = [
            "//tools/platforms:linux_amd64",
            "//tools/platforms:linux_arm64",
        ],
    )

With `platforms`, every image of `images` is built once per platform (a split
transition on `--platforms`): its layers pick that platform's Debian packages
and wheels (per_platform() selects) and are stripped by its binutils (the strip
toolchain), and oci_image writes the platform into the config. Without it, the
images are taken as built (each already for its own platform).

The output is an OCI image layout whose index.json points at the index.
Output groups:

    digest     <name>.digest: the index digest (what a registry tag points at)
    metadata   <name>.index.json (the index's exact bytes), the digest, and
               every image's metadata (oci_image's `metadata` group)

The index is written from the images' manifests and configs alone, so its
digest and a push need no layer on disk. Each platform's image keeps the
digest it has as a single-platform image built for that platform.
"""

load(":labels.bzl", "label_text")
load(":providers.bzl", "OciImageIndexInfo", "OciImageInfo")

def _platforms_transition_impl(settings, attr):
    if not attr.platforms:
        return {"": {"//command_line_option:platforms": settings["//command_line_option:platforms"]}}
    return {str(platform): {"//command_line_option:platforms": [str(platform)]} for platform in attr.platforms}

_platforms_transition = transition(
    implementation = _platforms_transition_impl,
    inputs = ["//command_line_option:platforms"],
    outputs = ["//command_line_option:platforms"],
)

def _linked_metadata(ctx, image):
    """An image's manifest and blobs.json under names of this index's (`<name>.linux_arm64_v8.manifest.json`).

    Each platform's image is the same target, so its files have the same
    runfiles path in every platform's build: in a runner's runfiles only one
    would remain. The links tell them apart; blobs.json's files are still
    found next to the file a link leads to (image_metadata.py).
    """
    prefix = "%s.%s." % (ctx.label.name, image.platform.replace("/", "_"))
    links = {}
    for kind in ("manifest", "blobs"):
        links[kind] = ctx.actions.declare_file(prefix + kind + ".json")
        ctx.actions.symlink(output = links[kind], target_file = getattr(image, kind))
    return struct(
        manifest = links["manifest"],
        blobs = links["blobs"],
        metadata = depset(links.values(), transitive = [image.metadata]),
    )

def _oci_image_index_impl(ctx):
    keys = [str(platform.label) for platform in ctx.attr.platforms] or [""]
    images = [
        target[OciImageInfo]
        for key in keys
        for target in ctx.split_attr.images[key]
    ]
    index = ctx.actions.declare_file(ctx.label.name + ".index.json")
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    layout = ctx.actions.declare_directory(ctx.label.name)
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({
        "annotations": ctx.attr.annotations,
        "images": [
            {"config": image.config.path, "layout": image.layout.path, "manifest": image.manifest.path}
            for image in images
        ],
    }))
    metadata = [spec] + [image.manifest for image in images] + [image.config for image in images]

    # The index from the images' manifests and configs only: its digest (and
    # a push) never waits for, nor downloads, a layer.
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--index", index)
    args.add("--digest", digest)
    ctx.actions.run(
        executable = ctx.executable._index_tool,
        arguments = [args],
        inputs = metadata,
        outputs = [index, digest],
        mnemonic = "OciImageIndex",
        progress_message = "Writing image index %{label}",
    )

    # The layout directory: every image's blobs and the index.
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--layout", layout.path)
    ctx.actions.run(
        executable = ctx.executable._index_tool,
        arguments = [args],
        inputs = metadata + [image.layout for image in images],
        outputs = [layout],
        mnemonic = "OciIndexLayout",
        progress_message = "Writing image index layout %{label}",
    )
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest]), metadata = depset([index, digest], transitive = [image.metadata for image in images])),
        OciImageIndexInfo(
            layout = layout,
            digest = digest,
            index = index,
            label = label_text(ctx.label),
            images = images,
            pushed = [_linked_metadata(ctx, image) for image in images],
        ),
    ]

oci_image_index = rule(
    doc = "Writes an OCI image index layout of one image per platform.",
    implementation = _oci_image_index_impl,
    attrs = {
        "images": attr.label_list(
            mandatory = True,
            providers = [OciImageInfo],
            cfg = _platforms_transition,
            doc = "oci_image targets; with `platforms`, each is built for every platform.",
        ),
        "platforms": attr.label_list(
            providers = [platform_common.PlatformInfo],
            doc = "Platforms to build `images` for (platform targets, e.g. //tools/platforms:linux_arm64), in the index's order.",
        ),
        "annotations": attr.string_dict(doc = "Annotations of the index."),
        "_index_tool": attr.label(default = "//tools/oci:image_index", executable = True, cfg = "exec", doc = "Writes the layout (image_index.py)."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    provides = [OciImageIndexInfo],
)
