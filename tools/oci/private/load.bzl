"""oci_load: a tarball `docker load`/`podman load` accept, and a runner that loads it.

Example:

    oci_load(
        name = "ml_load",
        image = ":ml",
        repo_tags = ["docintel/ml:latest"],
    )

`bazel run :ml_load` loads the image with docker or podman; `bazel build
:ml_load --output_groups=tarball` only writes `ml_load/tarball.tar`. The
tarball sits behind an output group so a plain build does not pay for it.
"""

load(":providers.bzl", "IMAGE_OR_INDEX", "image_or_index")
load(":runfiles.bzl", "RUNFILES_LIB", "rlocation_path", "runner_runfiles")

def _oci_load_impl(ctx):
    image = image_or_index(ctx.attr.image)
    tarball = ctx.actions.declare_file(ctx.label.name + "/tarball.tar")
    args = ctx.actions.args()
    args.add("--layout", image.layout.path)
    args.add("--output", tarball)
    args.add_all(ctx.attr.repo_tags, before_each = "--repo-tag")
    ctx.actions.run(
        executable = ctx.executable._load_tool,
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
            "{{tarball}}": rlocation_path(ctx, tarball),
        },
        is_executable = True,
    )
    return [
        DefaultInfo(executable = runner, runfiles = runner_runfiles(ctx, [tarball])),
        OutputGroupInfo(tarball = depset([tarball])),
    ]

oci_load = rule(
    doc = "Writes a docker/podman-loadable tarball of an image; `bazel run` loads it.",
    implementation = _oci_load_impl,
    attrs = {
        "image": attr.label(mandatory = True, providers = IMAGE_OR_INDEX, doc = "The oci_image (or oci_image_index) to load."),
        "repo_tags": attr.string_list(doc = "Names the loaded image gets, e.g. \"docintel/ml:latest\"."),
        "_load_tool": attr.label(default = "//tools/oci:load", executable = True, cfg = "exec", doc = "Writes the tarball (load.py)."),
        "_runfiles_lib": RUNFILES_LIB,
        "_runner": attr.label(default = "load.sh.tpl", allow_single_file = True, doc = "The runner's template."),
    },
    executable = True,
)
