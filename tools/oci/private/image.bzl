"""oci_image: an OCI image layout from a base image and layers (names follow rules_oci).

Example:

    oci_image(
        name = "ml",
        base = ":base",
        tars = [":torch", ":python_ml"],
        env = {"DOCINTEL_EMBEDDER": "local"},
    )

The output is an OCI image layout directory; the `digest` output group's
`<name>.digest` holds the manifest digest. Same inputs, same digest. The
config's os and architecture are the target platform's (platform.bzl), so
oci_image_index builds one target for several platforms.
"""

load(":platform.bzl", "PLATFORM_ATTRS", "image_platform", "platform_name")
load(":providers.bzl", "OciImageInfo", "OciLayerInfo")

def _oci_image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    layers = [t[OciLayerInfo] for t in ctx.attr.tars]
    base = ctx.attr.base[OciImageInfo] if ctx.attr.base else None

    config = {}
    if ctx.attr.entrypoint:
        config["Entrypoint"] = ctx.attr.entrypoint
    if ctx.attr.cmd:
        config["Cmd"] = ctx.attr.cmd
    if ctx.attr.env:
        config["Env"] = ["%s=%s" % (k, v) for k, v in ctx.attr.env.items()]
    if ctx.attr.user:
        config["User"] = ctx.attr.user
    if ctx.attr.workdir:
        config["WorkingDir"] = ctx.attr.workdir
    if ctx.attr.exposed_ports:
        config["ExposedPorts"] = {port: {} for port in ctx.attr.exposed_ports}
    if ctx.attr.labels:
        config["Labels"] = ctx.attr.labels

    platform = image_platform(ctx)
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({
        "annotations": ctx.attr.annotations,
        "base": base.layout.path if base else None,
        "config": config,
        "layers": [{"blob": layer.blob.path, "descriptor": layer.descriptor.path} for layer in layers],
        "platform": platform,
    }))
    inputs = [spec] + [layer.blob for layer in layers] + [layer.descriptor for layer in layers]
    if base:
        inputs.append(base.layout)
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--output", layout.path)
    args.add("--digest", digest)
    ctx.actions.run(
        executable = ctx.executable._image_tool,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest],
        mnemonic = "OciImage",
        progress_message = "Writing image %{label}",
    )
    listings = depset(
        [layer.listing for layer in layers],
        transitive = [base.listings] if base else [],
        order = "postorder",
    )
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest])),
        OciImageInfo(layout = layout, digest = digest, listings = listings, platform = platform_name(platform)),
    ]

oci_image = rule(
    doc = "Stacks layers on an optional base image and writes an OCI image layout.",
    implementation = _oci_image_impl,
    attrs = dict(PLATFORM_ATTRS, **{
        "base": attr.label(providers = [OciImageInfo], doc = "Image whose layers and config this one starts from."),
        "tars": attr.label_list(providers = [OciLayerInfo], doc = "Layers to add, bottom first (oci_layer targets)."),
        "entrypoint": attr.string_list(doc = "Config Entrypoint."),
        "cmd": attr.string_list(doc = "Config Cmd."),
        "env": attr.string_dict(doc = "Environment; merged by name with the base's."),
        "user": attr.string(doc = "Config User, e.g. \"65532:65532\"."),
        "workdir": attr.string(doc = "Config WorkingDir."),
        "exposed_ports": attr.string_list(doc = "Ports such as \"8000/tcp\"."),
        "labels": attr.string_dict(doc = "Config Labels."),
        "annotations": attr.string_dict(doc = "Manifest annotations."),
        "_image_tool": attr.label(default = "//tools/oci:image", executable = True, cfg = "exec", doc = "Writes the layout (image.py)."),
    }),
    provides = [OciImageInfo],
)
