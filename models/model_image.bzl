"""model_image: one model's files as an image of their own, in the docintel model cache layout.

`model_image(name = "minilm", ...)` (models/BUILD.bazel has the three in use)
creates the layer `minilm`, the image `minilm_image`, its
podman loader `minilm_load`, and `minilm_image_test`, which checks that the
image holds exactly the model's files of manifest.json, each with its size and
sha256. The directories belong to the service's user (65532), so a volume
seeded from the image lets it keep its lock and verification marker.
"""

load("@rules_python//python:defs.bzl", "py_test")
load("//tools/oci:defs.bzl", "oci_image", "oci_layer", "oci_load")

_SERVICE_USER_DIR = "0755:65532:65532"

def _parent_dirs(paths):
    """Every directory above `paths`, shallowest first, owned by the service's user."""
    dirs = {}
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(1, len(parts) + 1):
            dirs["/".join(parts[:end])] = _SERVICE_USER_DIR
    return {directory: dirs[directory] for directory in sorted(dirs)}

def model_image(name, model, files, repo_tag, description):
    """The layer, image, loader and test of one model's files.

    Args:
      name: the layer, and the prefix of the other targets: <name>_image, <name>_load, <name>_image_test.
      model: the model's name in manifest.json (its files go under models/<model>/<revision>).
      files: label -> path in the image, e.g. from minilm_files().
      repo_tag: the tag `bazel run <name>_load` gives the image in podman or docker.
      description: the image's org.opencontainers.image.description.
    """
    oci_layer(
        name = name,
        dirs = _parent_dirs(files.values()),
        files = files,
    )
    oci_image(
        name = name + "_image",
        labels = {
            "org.opencontainers.image.description": description,
            "org.opencontainers.image.title": "docintel-" + repo_tag.split("/")[-1].split(":")[0],
        },
        tars = [":" + name],
    )
    oci_load(
        name = name + "_load",
        image = ":" + name + "_image",
        repo_tags = [repo_tag],
    )
    py_test(
        name = name + "_image_test",
        size = "small",
        srcs = ["model_image_test.py"],
        args = [
            "$(rootpath :%s_image)" % name,
            "$(rootpath manifest.json)",
            model,
        ],
        data = [
            "manifest.json",
            ":" + name + "_image",
        ],
        main = "model_image_test.py",
        deps = [
            "//tools/oci:layer_stream",
            "//tools/oci:oci_layout",
        ],
    )
