"""oci_load: `bazel run` loads an image into the host's podman or docker, copying only the layers it lacks.

Example:

    oci_load(
        name = "ml_load",
        image = ":ml",
        repo_tags = ["docintel/ml:latest"],
    )

`tools/bazel run :ml_load [-- [--engine docker] [--tag NAME:TAG]]` loads the
image on the host (the runner's first lines mark it for tools/bazel to run
outside the build root) and prints each layer as copied or skipped
(tools/oci/load.py). `bazel build :ml_load --output_groups=tarball` writes
`ml_load/tarball.tar` instead, for `docker load` / `podman load`; it sits
behind an output group, so neither a plain build nor a load pays for it.

Of an oci_image_index, `bazel run` loads the host's platform's image, but
the tarball holds the index's first image only (its first platform:
linux/amd64 for //images:base), whatever the machine: the same bytes on every
machine, so it is cached like any output. For another platform, load with
`-- --platform OS/ARCH`, or write the tarball of an oci_load whose `image` is
that platform's single-platform oci_image.
"""

load(":providers.bzl", "IMAGE_OR_INDEX", "image_or_index")
load(":runfiles.bzl", "rlocation_path")

# What a repo tag may hold (it goes into the runner's command line as it is).
_TAG_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@"

def _repo_tag_args(ctx):
    """`--repo-tag NAME:TAG ...` for the runner, each tag checked to need no quoting."""
    for tag in ctx.attr.repo_tags:
        if not tag or [c for c in tag.elems() if c not in _TAG_CHARACTERS]:
            fail("repo_tags: %r is not an image name with a tag, such as \"docintel/ml:latest\"" % tag)
    return " ".join(["--repo-tag " + tag for tag in ctx.attr.repo_tags])

def _oci_load_impl(ctx):
    image = image_or_index(ctx.attr.image)
    tarball = ctx.actions.declare_file(ctx.label.name + "/tarball.tar")
    args = ctx.actions.args()
    args.add("--layout", image.layout.path)
    args.add("--output", tarball)
    args.add_all(ctx.attr.repo_tags, before_each = "--repo-tag")
    ctx.actions.run(
        executable = ctx.executable._archive_tool,
        arguments = [args],
        inputs = [image.layout],
        outputs = [tarball],
        mnemonic = "OciTarball",
        progress_message = "Writing loadable tarball %{label}",
    )
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._runner,
        output = runner,
        substitutions = {
            "{{image}}": str(ctx.attr.image.label),
            "{{label}}": str(ctx.label),
            "{{layout}}": rlocation_path(ctx, image.layout),
            "{{loader}}": rlocation_path(ctx, ctx.file._loader),
            "{{loader_dir}}": rlocation_path(ctx, ctx.file._loader).rpartition("/")[0],
            "{{repo_tags}}": _repo_tag_args(ctx),
        },
        is_executable = True,
    )
    runfiles = ctx.runfiles([image.layout, ctx.file._loader])
    runfiles = runfiles.merge(ctx.attr._loader_lib[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = runner, runfiles = runfiles),
        OutputGroupInfo(tarball = depset([tarball])),
    ]

oci_load = rule(
    doc = "`bazel run` loads an image into the host's container engine (only the layers it lacks); the `tarball` output group writes a loadable tarball (of an index: its first image).",
    implementation = _oci_load_impl,
    attrs = {
        "image": attr.label(mandatory = True, providers = IMAGE_OR_INDEX, doc = "The oci_image (or oci_image_index) to load."),
        "repo_tags": attr.string_list(doc = "Names the loaded image gets, e.g. \"docintel/ml:latest\"."),
        "_archive_tool": attr.label(default = "//tools/oci:docker_archive", executable = True, cfg = "exec", doc = "Writes the tarball (docker_archive.py)."),
        "_loader": attr.label(default = "//tools/oci:load.py", allow_single_file = True, doc = "The loader the runner starts with the host's python3."),
        "_loader_lib": attr.label(default = "//tools/oci:load_lib", doc = "The loader's modules."),
        "_runner": attr.label(default = "load.sh.tpl", allow_single_file = True, doc = "The runner's template."),
    },
    executable = True,
)
