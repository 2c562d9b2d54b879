"""oci_size_test and oci_size_report: the layer size gate and its report.

Example:

    oci_size_test(
        name = "size_test",
        images = {"base": ":base", "ml": ":ml"},
        limits = "size_limits.json",
    )

The test fails when any layer (or image, or all images together) is over its
limit in `limits`, printing a table of every layer and, for each offender,
its largest packages. The report (`bazel run`) prints the same table; pass
`--json` for machines, `--svg FILE`/`--html FILE` for a picture.
"""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

def _size_report_attrs(images, limits):
    """The sources, data and arguments the test and the report share."""
    args = ["--limits", "$(rootpath %s)" % limits]
    for name, image in sorted(images.items()):
        args += ["--image", "%s=$(rootpath %s)" % (name, image)]
    return {
        "args": args,
        "data": [limits] + images.values(),
        "deps": ["//tools/oci:size_report_lib"],
        "main": "//tools/oci:size_report.py",
        "srcs": ["//tools/oci:size_report.py"],
    }

def oci_size_test(name, images, limits, **kwargs):
    """A test that fails when a layer of `images` is over its limit.

    Args:
      name: the test target.
      images: dict of image name -> oci_image label.
      limits: the limits JSON file.
      **kwargs: passed to py_test.
    """
    attrs = _size_report_attrs(images, limits)
    attrs["args"] = attrs["args"] + ["--check"]
    py_test(name = name, **(attrs | kwargs))

def oci_size_report(name, images, limits, **kwargs):
    """`bazel run` target printing the layer table of `images`.

    Args:
      name: the binary target.
      images: dict of image name -> oci_image label.
      limits: the limits JSON file.
      **kwargs: passed to py_binary.
    """
    py_binary(name = name, **(_size_report_attrs(images, limits) | kwargs))
