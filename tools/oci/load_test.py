"""Tests of the loader: which layers an engine has (chains, not digests), the Docker archives (whole and
of the missing layers), and the engine choice and docker's fallback.

No container engine runs where Bazel runs tests (the build root has none, and
one there would not see the host's images), so the engine tests put a stand-in
`docker` program on PATH: it answers like a docker CLI (with or without a
daemon) and keeps what `docker load` was sent. The real loads into podman are
measured by tools/bench and run by .ci/readonly_root.sh.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import textwrap
import unittest
import unittest.mock
from pathlib import Path

import docker_archive
import engines
import image
import image_layout
import load
from load_plan import Layer, plan, report, shared_prefix, summary
from oci_layout import GZIP_LAYER_TYPE, Layout


def _layer(directory: Path, name: str, content: bytes) -> dict[str, str]:
    """A gzip layer holding one file, as oci_layer writes it: blob and descriptor files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name + ".txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = buffer.getvalue()
    blob = gzip.compress(tar_bytes, mtime=0)
    (directory / f"{name}.tar.gz").write_bytes(blob)
    descriptor = {
        "mediaType": GZIP_LAYER_TYPE,
        "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
        "size": len(blob),
        "diffID": "sha256:" + hashlib.sha256(tar_bytes).hexdigest(),
        "name": name,
    }
    (directory / f"{name}.json").write_text(json.dumps(descriptor))
    return {
        "blob": str(directory / f"{name}.tar.gz"),
        "descriptor": str(directory / f"{name}.json"),
        "label": f"//images:{name}",
    }


def _image(directory: Path, name: str, layers: list[dict[str, str]], config: dict[str, list[str]]) -> Layout:
    """An image's layout as oci_image leaves it: image.py's metadata, then image_layout.py's layout."""
    outputs = image.Outputs(*(directory / f"{name}.{part}.json" for part in ("manifest", "config", "blobs")))
    spec = {"label": f"//images:{name}", "layout": str(directory / name), "layers": layers, "config": config}
    image.build(spec, outputs)
    image_layout.assemble(outputs.manifest, outputs.blobs, directory / name)
    return Layout(directory / name)


class Fixture(unittest.TestCase):
    """Two images sharing their bottom layers: os, deps, app v1 / os, deps, app v2."""

    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        layers = {name: _layer(self.tmp, name, name.encode() * 100) for name in ("os", "deps", "app1", "app2")}
        config = {"Entrypoint": ["/app"]}
        self.v1 = _image(self.tmp, "v1", [layers["os"], layers["deps"], layers["app1"]], config)
        self.v2 = _image(self.tmp, "v2", [layers["os"], layers["deps"], layers["app2"]], config)

    @staticmethod
    def layers(layout: Layout) -> list[Layer]:
        return load.plan_layers(layout)[1]


class PlanTest(Fixture):
    def test_the_layers_under_a_change_are_skipped(self) -> None:
        stored = [[layer.diff_id for layer in self.layers(self.v1)]]
        the_plan = plan(self.layers(self.v2), stored)
        self.assertEqual([layer.name for layer in the_plan.skipped], ["os", "deps"])
        self.assertEqual([layer.name for layer in the_plan.copied], ["app2"])
        self.assertRegex(summary(the_plan), r"^copied 1 layer \(0\.0 MB\), skipped 2 \(0\.0 MB\)$")
        self.assertEqual([line.split()[0] for line in report(the_plan, "podman")], ["skipped", "skipped", "copied"])

    def test_a_layer_on_other_layers_counts_as_missing(self) -> None:
        os_, deps, app = (layer.diff_id for layer in self.layers(self.v1))
        self.assertEqual(shared_prefix([os_, deps, app], [[os_, app, deps], [deps, app]]), 1)
        self.assertEqual(shared_prefix([os_, deps, app], []), 0)
        self.assertEqual(shared_prefix([os_, deps], [[os_, deps, app]]), 2)


class ArchiveTest(Fixture):
    def members(self, **options: object) -> dict[str, bytes]:
        out = io.BytesIO()
        docker_archive.write(self.v2, out, ["docintel/x:latest"], **options)  # type: ignore[arg-type]
        with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]

    def test_the_whole_archive_is_an_oci_layout_and_a_docker_archive(self) -> None:
        members = self.members()
        self.assertEqual(
            sorted(name for name in members if name.startswith("blobs/")),
            sorted("blobs/sha256/" + blob.name for blob in self.v2.blobs()),
        )
        manifest = json.loads(members["manifest.json"])
        self.assertEqual(manifest[0]["RepoTags"], ["docintel/x:latest"])
        self.assertEqual(len(manifest[0]["Layers"]), 3)
        index = json.loads(members["index.json"])
        self.assertEqual(index["manifests"][0]["annotations"]["io.containerd.image.name"], "docintel/x:latest")
        self.assertIn("oci-layout", members)

    def test_the_archive_of_missing_layers_names_all_and_holds_those(self) -> None:
        app = self.v2.layers()[2]
        members = self.members(only_layers=[app.digest])
        manifest = json.loads(members["manifest.json"])
        layer_blobs = [name for name in members if name in manifest[0]["Layers"]]
        self.assertEqual(layer_blobs, ["blobs/sha256/" + app.hex])
        self.assertEqual(len(manifest[0]["Layers"]), 3)
        self.assertIn(manifest[0]["Config"], members)
        self.assertNotIn("index.json", members)


# A stand-in docker CLI: `version` answers when $FAKE_DAEMON is set, `load`
# keeps its input and refuses an archive lacking a layer when $REFUSE_PARTIAL is set.
FAKE_DOCKER = """\
    #!/bin/sh
    case "$1" in
      version) [ -n "$FAKE_DAEMON" ] && echo 28.2.2 && exit 0
               echo "Cannot connect to the Docker daemon" >&2; exit 1 ;;
      info) echo '[["Backing Filesystem","extfs"]]' ;;
      load) n=$(ls "$FAKE_STORE" | wc -l); cat >"$FAKE_STORE/load-$n.tar"
            if [ -n "$REFUSE_PARTIAL" ] && ! tar -tf "$FAKE_STORE/load-$n.tar" | grep -q index.json; then
              echo "open /var/lib/docker/tmp/x/layer.tar: no such file or directory" >&2; exit 1
            fi
            echo "Loaded image: docintel/x:latest" ;;
      *) echo "unexpected: $*" >&2; exit 2 ;;
    esac
"""


class EngineTest(Fixture):
    def setUp(self) -> None:
        super().setUp()
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "docker").write_text(textwrap.dedent(FAKE_DOCKER))
        (bin_dir / "docker").chmod(0o755)
        # Only what the stand-in needs: no podman of the machine's.
        for tool in ("sh", "cat", "ls", "wc", "grep", "tar"):
            (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
        self.store = self.tmp / "store"
        self.store.mkdir()
        env = {"PATH": str(bin_dir), "FAKE_STORE": str(self.store)}
        self.enterContext(unittest.mock.patch.dict(os.environ, env, clear=True))

    def loads(self) -> list[set[str]]:
        result = []
        for path in sorted(self.store.iterdir()):
            with tarfile.open(path) as tar:
                result.append(set(tar.getnames()))
        return result

    def test_a_docker_cli_without_a_daemon_is_no_engine(self) -> None:
        with self.assertRaisesRegex(engines.LoadError, "docker does not answer .*Cannot connect"):
            engines.pick_engine("docker")
        with self.assertRaisesRegex(engines.LoadError, "podman is not on PATH; docker does not answer"):
            engines.pick_engine(None)

    def test_docker_gets_the_missing_layers_then_everything_if_it_refuses(self) -> None:
        os.environ["FAKE_DAEMON"] = "1"
        engine, version = engines.pick_engine(None)
        self.assertEqual((engine.name, version), ("docker", "28.2.2"))
        app = self.v2.layers()[2]
        engine.load(self.v2, "id", [app], ["docintel/x:latest"])
        self.assertNotIn("blobs/sha256/" + self.v2.layers()[0].hex, self.loads()[0])
        self.assertIn("blobs/sha256/" + app.hex, self.loads()[0])
        os.environ["REFUSE_PARTIAL"] = "1"
        engine.load(self.v2, "id", [app], ["docintel/x:latest"])
        self.assertEqual(len(self.loads()), 3)
        self.assertIn("index.json", self.loads()[2])

    def test_a_name_engines_refuse_is_refused_before_anything_is_copied(self) -> None:
        os.environ["FAKE_DAEMON"] = "1"
        for flags, needle in (
            (["--tag", "Bad Tag"], "--tag 'Bad Tag' is not an image name engines accept: its name 'Bad Tag'"),
            (["--repo-tag", "docintel/x:-1"], "the rule's repo tag 'docintel/x:-1' is not an image name"),
        ):
            with self.subTest(flags=flags):
                output = io.StringIO()
                with contextlib.redirect_stderr(output), contextlib.redirect_stdout(io.StringIO()):
                    status = load.main(["--layout", str(self.v2.path), "--engine", "docker", *flags])
                self.assertEqual(status, 1, output.getvalue())
                self.assertIn(needle, output.getvalue())
                self.assertIn("nothing was loaded", output.getvalue())
                self.assertEqual(self.loads(), [])


if __name__ == "__main__":
    unittest.main()
