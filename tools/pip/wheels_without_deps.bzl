"""wheels_without_deps: the wheel files of some packages, leaving out the wheels of their dependencies.

Example (images/BUILD.bazel):

    wheels_without_deps(
        name = "onnx_wheels",
        wheels = group_wheels("onnx"),
    )
    oci_layer(name = "python_onnx", wheels = [":onnx_wheels"], ...)

rules_python's `whl_requirement()` target carries the wheels of every declared
dependency as runfiles, and oci_layer installs them all. A layer that must not
hold some declared dependency (onnxruntime's protobuf, tokenizers'
huggingface-hub: never imported on the runtime path) installs these files
alone; what they do import must then come from the layers below, which a test
of the image proves by running it.
"""

def _wheels_without_deps_impl(ctx):
    files = depset(transitive = [target[DefaultInfo].files for target in ctx.attr.wheels])
    for f in files.to_list():
        if f.extension != "whl":
            fail("%s is not a wheel: pass whl_requirement() targets in `wheels`" % f.short_path)
    return [DefaultInfo(files = files)]

wheels_without_deps = rule(
    doc = "Forwards the wheel files of `wheels` alone: their dependencies' wheels (runfiles) are left out.",
    implementation = _wheels_without_deps_impl,
    attrs = {
        "wheels": attr.label_list(
            mandatory = True,
            doc = "`whl_requirement()` targets (or `group_wheels()`); only their own .whl files are forwarded.",
        ),
    },
)
