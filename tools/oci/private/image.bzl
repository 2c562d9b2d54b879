"""oci_image: an OCI image layout from a base image and layers (names follow rules_oci).

Example:

    oci_image(
        name = "ml",
        base = ":base",
        tars = [":torch", ":python_ml"],
        env = {"DOCINTEL_EMBEDDER": "local"},
    )

The output is an OCI image layout directory. Output groups:

    digest     <name>.digest: the manifest digest
    metadata   <name>.manifest.json, <name>.config.json, <name>.blobs.json
               (every blob's digest, size, media type and file; see
               tools/oci/image_metadata.py) and <name>.digest

The metadata comes from the layers' descriptors alone, so building it (or a
push, which needs only it) does not need the layers' bytes: with
`--remote_download_minimal` they stay in the remote cache. Same inputs, same
digest. The config's os and architecture are the target platform's
(platform.bzl), so oci_image_index builds one target for several platforms.
"""

load(":labels.bzl", "label_text")
load(":platform.bzl", "PLATFORM_ATTRS", "image_platform", "platform_name")
load(":providers.bzl", "OciImageInfo", "OciLayerInfo")

def _metadata_spec(ctx, base, layout):
    """The spec image.py reads: the base's metadata, the new layers' descriptors, the config."""
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
    return json.encode({
        "annotations": ctx.attr.annotations,
        "base": {"blobs": base.blobs.path, "config": base.config.path, "manifest": base.manifest.path} if base else None,
        "config": config,
        "label": label_text(ctx.label),
        "layers": [
            {"blob": t[OciLayerInfo].blob.path, "descriptor": t[OciLayerInfo].descriptor.path, "label": label_text(t.label)}
            for t in ctx.attr.tars
        ],
        "layout": layout.path,
        "platform": image_platform(ctx),
    })

def _over_base(files, base_files):
    """A depset of the new layers' `files` over `base_files` (the base image's, None without a base), bottom first."""
    return depset(files, transitive = [base_files] if base_files != None else [], order = "postorder")

def _oci_image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    manifest = ctx.actions.declare_file(ctx.label.name + ".manifest.json")
    config = ctx.actions.declare_file(ctx.label.name + ".config.json")
    blobs = ctx.actions.declare_file(ctx.label.name + ".blobs.json")
    layers = [t[OciLayerInfo] for t in ctx.attr.tars]
    base = ctx.attr.base[OciImageInfo] if ctx.attr.base else None

    # The metadata: from the layers' descriptors only, so an image's digest
    # (and its push) never waits for, nor downloads, its layers' bytes.
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, _metadata_spec(ctx, base, layout))
    metadata = [manifest, config, blobs]
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--manifest", manifest)
    args.add("--config", config)
    args.add("--blobs", blobs)
    args.add("--digest", digest)
    ctx.actions.run(
        executable = ctx.executable._image_tool,
        arguments = [args],
        inputs = [spec] + [layer.descriptor for layer in layers] + (base.metadata.to_list() if base else []),
        outputs = metadata + [digest],
        mnemonic = "OciImage",
        progress_message = "Writing image metadata %{label}",
    )

    # The layout directory: every blob copied in.
    layer_blobs = _over_base([layer.blob for layer in layers], base.layer_blobs if base else None)
    args = ctx.actions.args()
    args.add("--manifest", manifest)
    args.add("--blobs", blobs)
    args.add("--output", layout.path)
    ctx.actions.run(
        executable = ctx.executable._layout_tool,
        arguments = [args],
        inputs = depset(metadata, transitive = [layer_blobs]),
        outputs = [layout],
        mnemonic = "OciLayout",
        progress_message = "Writing image layout %{label}",
    )
    listings = _over_base([layer.listing for layer in layers], base.listings if base else None)
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest]), metadata = depset(metadata + [digest])),
        OciImageInfo(
            layout = layout,
            digest = digest,
            manifest = manifest,
            config = config,
            blobs = blobs,
            metadata = depset(metadata),
            layer_blobs = layer_blobs,
            listings = listings,
            wheels = depset(transitive = [layer.wheels for layer in layers] + ([base.wheels] if base else [])),
            platform = platform_name(image_platform(ctx)),
        ),
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
        "_image_tool": attr.label(default = "//tools/oci:image", executable = True, cfg = "exec", doc = "Writes the manifest, config and blob list (image.py)."),
        "_layout_tool": attr.label(default = "//tools/oci:image_layout", executable = True, cfg = "exec", doc = "Assembles the layout (image_layout.py)."),
    }),
    provides = [OciImageInfo],
)
