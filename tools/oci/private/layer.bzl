"""oci_layer: one deterministic image layer from Debian packages, wheels, app code and files.

Example:

    oci_layer(
        name = "python_base",
        wheels = [whl_requirement("fastapi")],
        below = [":debian"],
        prune = ["*/__pycache__/*"],
        bytecode = True,
    )

A file lives in exactly one layer: paths that a layer in `below` already holds
are left out. What `prune` removes is listed in the `<name>.pruned` output.

With `bytecode`, every Python module gets an unchecked-hash pyc (PEP 552)
beside it, compiled by the images' interpreter (@python3_11): same bytes on
every build, and nothing to compile when a container starts.

The compression is the `compression` attribute or, when that is empty, the
`--//tools/oci:compression` flag (gzip or zstd; `--config=zstd` sets it).

The compressor (pigz or zstd) and strip are pinned Debian builds that run on
their own pinned C library (@debian_build_tools): inputs of the action, so
another version of either is another cache key, and nothing is looked up on
the machine's PATH. strip is the target platform's (the strip toolchain,
strip_toolchain.bzl): aarch64 binutils for a linux/arm64 layer.
"""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")
load(":labels.bzl", "label_text")
load(":providers.bzl", "OciLayerInfo")

STRIP_TOOLCHAIN = "//tools/oci:strip_toolchain_type"

def _all_files(target):
    """A target's files and its runfiles."""
    info = target[DefaultInfo]
    return depset(transitive = [info.files, info.default_runfiles.files])

def _workspace_files(targets):
    """The workspace's own files (not external repositories') of targets and their runfiles."""
    return [f for target in targets for f in _all_files(target).to_list() if not f.short_path.startswith("../")]

def _files_into(files_into):
    """Maps every file of each target, with its runfiles, into a directory by base name."""
    files = []
    for target, directory in files_into.items():
        for f in _all_files(target).to_list():
            files.append({"src": f.path, "dst": directory + "/" + f.basename})
    return files

def _dirname(file):
    """The directory of a file (for the loader's library path)."""
    return file.dirname

def _dirs(ctx):
    """The `dirs` attribute as the spec's entries, each owner checked to be `mode:uid:gid`."""
    result = []
    for path, owner in ctx.attr.dirs.items():
        parts = owner.split(":")
        octal = len(parts) == 3 and parts[0] and not [c for c in parts[0].elems() if c not in "01234567"]
        if not octal or not parts[1].isdigit() or not parts[2].isdigit():
            fail("%s: dirs[%r] is %r, not \"mode:uid:gid\" (an octal mode, numeric ids), e.g. \"0700:65532:65532\"" %
                 (label_text(ctx.label), path, owner))
        mode, uid, gid = parts
        result.append({"dst": path, "mode": int(mode, 8), "uid": int(uid), "gid": int(gid)})
    return result

def _single_files(ctx):
    """The `files` attribute as the spec's entries, each target checked to give exactly one file."""
    result = []
    for target, dst in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("%s: files[%s] (-> %r) gives %d files, not one; use `files_into` for a target of several files" %
                 (label_text(ctx.label), label_text(target.label), dst, len(files)))
        result.append({"src": files[0].path, "dst": dst})
    return result

def _oci_layer_impl(ctx):
    compression = ctx.attr.compression or ctx.attr._compression[BuildSettingInfo].value
    extension = {"gzip": ".tar.gz", "zstd": ".tar.zst"}[compression]
    blob = ctx.actions.declare_file(ctx.label.name + extension)
    descriptor = ctx.actions.declare_file(ctx.label.name + ".json")
    listing = ctx.actions.declare_file(ctx.label.name + ".listing")
    pruned = ctx.actions.declare_file(ctx.label.name + ".pruned")
    lower = [layer[OciLayerInfo].listing for layer in ctx.attr.below]

    # A wheel target's runfiles are its dependencies' wheels (rules_python's `:whl`).
    wheels = depset(transitive = [_all_files(t) for t in ctx.attr.wheels])
    app = _workspace_files(ctx.attr.app)
    files = [{"src": f.path, "dst": ctx.attr.app_root + "/" + f.short_path} for f in app]
    files += _single_files(ctx)
    files += _files_into(ctx.attr.files_into)
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({
        "bytecode": ctx.attr.bytecode,
        "ca_bundle": ctx.attr.ca_bundle,
        "debs": [f.path for f in ctx.files.debs],
        "dirs": _dirs(ctx),
        "files": files,
        "keep": ctx.attr.keep,
        "lower_listings": [f.path for f in lower],
        "prune": ctx.attr.prune,
        "site_packages": ctx.attr.site_packages,
        "strip": ctx.attr.strip,
        "symlinks": ctx.attr.symlinks,
        "wheels": sorted([f.path for f in wheels.to_list()]),
    }))

    inputs = depset(
        [spec] + lower + ctx.files.debs + ctx.files.files + app,
        transitive = [wheels] + [_all_files(t) for t in ctx.attr.files_into.keys()],
    )
    args = ctx.actions.args()
    args.add("--name", ctx.label.name)
    args.add("--spec", spec)
    args.add("--blob", blob)
    args.add("--descriptor", descriptor)
    args.add("--listing", listing)
    args.add("--pruned", pruned)
    args.add("--compression", compression)
    compressor = {"gzip": ctx.file._pigz, "zstd": ctx.file._zstd}[compression]
    tools = [compressor] + ctx.files._tool_libraries
    args.add("--compressor", compressor)
    if ctx.attr.strip:
        strip = ctx.toolchains[STRIP_TOOLCHAIN].strip
        args.add("--strip-tool", strip)
        tools.append(strip)
    if ctx.attr.bytecode:
        args.add("--python", ctx.file._python)
        tools += ctx.files._python_files

    # The tools run through their own C library's loader, on their libraries.
    args.add("--tool-loader", ctx.file._tool_loader)
    args.add_joined("--tool-libraries", ctx.files._tool_libraries, join_with = ":", map_each = _dirname, uniquify = True)
    ctx.actions.run(
        executable = ctx.executable._layer_tool,
        arguments = [args],
        inputs = inputs,
        tools = tools,
        outputs = [blob, descriptor, listing, pruned],
        mnemonic = "OciLayer",
        progress_message = "Writing layer %{label}",
    )
    return [
        DefaultInfo(files = depset([blob, descriptor])),
        OutputGroupInfo(blob = depset([blob]), listing = depset([listing]), pruned = depset([pruned])),
        OciLayerInfo(blob = blob, descriptor = descriptor, listing = listing, pruned = pruned, wheels = wheels),
    ]

oci_layer = rule(
    doc = "Builds one compressed OCI layer; paths held by `below` layers are left out.",
    implementation = _oci_layer_impl,
    attrs = {
        "debs": attr.label_list(allow_files = [".deb"], doc = "Debian packages whose files the layer holds (merged /usr)."),
        "wheels": attr.label_list(allow_files = [".whl"], doc = "Wheels (`whl_requirement()` targets): each, with the wheels of its dependencies, is installed into `site_packages`."),
        "app": attr.label_list(doc = "Targets whose workspace files (transitively) go under `app_root`."),
        "files": attr.label_keyed_string_dict(allow_files = True, doc = "Single files and their path in the image."),
        "files_into": attr.label_keyed_string_dict(allow_files = True, doc = "Targets whose files and runfiles all go into one directory by base name: target -> directory, e.g. `{whl_requirement(\"torch\"): \"root/.cache/pip/wheels\"}` puts torch's wheel and its dependencies' wheels there."),
        "symlinks": attr.string_dict(doc = "Symbolic links: path in the image -> target."),
        "dirs": attr.string_dict(doc = "Directories: path -> \"mode:uid:gid\", e.g. \"0700:65532:65532\"."),
        "below": attr.label_list(providers = [OciLayerInfo], doc = "Layers under this one; their paths are left out."),
        "prune": attr.string_list(doc = "fnmatch patterns of paths to leave out."),
        "keep": attr.string_list(doc = "fnmatch patterns that `prune` must not remove."),
        "strip": attr.bool(default = True, doc = "Strip static symbol tables from shared libraries (.dynsym stays)."),
        "ca_bundle": attr.string(doc = "If set, write this CA bundle from the layer's usr/share/ca-certificates."),
        "bytecode": attr.bool(doc = "Add an unchecked-hash pyc for every Python module, compiled by the images' interpreter (@python3_11)."),
        "compression": attr.string(values = ["", "gzip", "zstd"], doc = "Layer compression; empty: the `--//tools/oci:compression` flag."),
        "site_packages": attr.string(default = "usr/local/lib/python3.11/dist-packages", doc = "Where wheels go in the image."),
        "app_root": attr.string(default = "app", doc = "Where `app` files go in the image."),
        "_compression": attr.label(default = "//tools/oci:compression", providers = [BuildSettingInfo]),
        "_layer_tool": attr.label(default = "//tools/oci:layer", executable = True, cfg = "exec"),
        "_python": attr.label(default = "@python3_11//:usr/bin/python3.11", allow_single_file = True, cfg = "exec"),
        "_python_files": attr.label(default = "@python3_11//:files", cfg = "exec"),
        "_pigz": attr.label(default = "@debian_build_tools//:pigz", allow_single_file = True, cfg = "exec"),
        "_zstd": attr.label(default = "@debian_build_tools//:zstd", allow_single_file = True, cfg = "exec"),
        "_tool_loader": attr.label(default = "@debian_build_tools//:loader", allow_single_file = True, cfg = "exec"),
        "_tool_libraries": attr.label(default = "@debian_build_tools//:libs", allow_files = True, cfg = "exec"),
    },
    provides = [OciLayerInfo],
    toolchains = [STRIP_TOOLCHAIN],
)
