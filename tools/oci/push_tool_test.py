"""The push tool against a real registry (docker-registry) and a real HTTP remote cache (nginx).

Small images built by image.py: `base` (layers os, app) and `top` (base plus
extra). Blobs come from local outputs, or stream from the cache when those
are gone; shared layers are mounted; wrong bytes, missing blobs, a registry
that is down or read-only fail without moving a tag.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import unittest
from pathlib import Path
from typing import Any

import push
from local_registry import LocalRegistry
from oci_layout import INDEX_TYPE, MANIFEST_TYPE
from pinned_nginx import start_cache
from push_testing import SmallImages
from registry_auth import RegistryAuth
from registry_client import Registry

IMAGES = {"base": (None, ["os", "app"]), "top": ("base", ["extra"])}


class PushTest(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(self._tmp.cleanup)
        self.tmp = Path(self._tmp.name)
        self.registry = self.start_registry()
        self.cache = start_cache(self.tmp / "cache")
        self.addCleanup(self.cache.stop)
        self.images = SmallImages.build(self.tmp / "execroot", IMAGES)
        self.repository = f"{self.registry.address}/docintel"
        os.environ["RUNFILES_DIR"] = str(self.images.root)
        os.environ.pop(push.CACHE_ENV, None)

    def start_registry(self, *, read_only: bool = False, port: int | None = None) -> LocalRegistry:
        registry = LocalRegistry.start(self.tmp / "registry", port=port, metrics=True, read_only=read_only)
        self.addCleanup(registry.stop)
        return registry

    def push(
        self,
        *args: str,
        names: tuple[str, ...] = ("base", "top"),
        images: SmallImages | None = None,
        spec: Path | None = None,
    ) -> tuple[int, str, dict[str, Any]]:
        spec = spec or (images or self.images).spec(list(names))
        report = self.tmp / "report.json"
        report.unlink(missing_ok=True)
        output = io.StringIO()
        with contextlib.redirect_stderr(output):
            status = push.main(["--spec", str(spec), "--repository", self.repository, "--report", str(report), *args])
        text = output.getvalue()
        return status, text, json.loads(report.read_text()) if report.exists() else {}

    def client(self) -> Registry:
        return Registry(self.registry.address, RegistryAuth({}, "none"))

    def tag_digest(self, name: str, tag: str = "latest") -> str | None:
        return self.client().manifest_digest(f"docintel/{name}", tag, MANIFEST_TYPE)

    def has_blob(self, name: str, layer: str) -> bool:
        return self.client().has_blob(f"docintel/{name}", self.images.layers[layer][0])

    def move_to_cache(self, *layers: str) -> None:
        for layer in layers:
            digest, data = self.images.layers[layer]
            self.cache.put(digest, data)
            self.images.remove_layer(layer)

    def actions(self, report: dict[str, Any], repository: str) -> dict[str, tuple[str, str]]:
        return {
            blob["label"].rsplit(":", 1)[1]: (blob["action"], blob["source"])
            for blob in report["blobs"]
            if blob["repository"] == repository
        }

    # --- pushing --------------------------------------------------------------

    def test_push_from_local_outputs_then_nothing_again(self) -> None:
        status, log, report = self.push()
        self.assertEqual(status, 0, log)
        for name in ("base", "top"):
            self.assertEqual(self.tag_digest(name), self.images.digests[name])
        self.assertEqual(self.actions(report, "docintel/base")["os"], ("uploaded", "local"))
        before = self.registry.received()
        status, log, report = self.push("--tag", "again")
        self.assertEqual(status, 0, log)
        self.assertEqual({blob["action"] for blob in report["blobs"]}, {"present"})
        self.assertLess(self.registry.received() - before, 20_000, "a second push sent more than manifests")
        self.assertEqual(self.tag_digest("top", "again"), self.images.digests["top"])

    def test_shared_layers_are_mounted_not_uploaded(self) -> None:
        self.assertEqual(self.push(names=("base",))[0], 0)
        self.assertFalse(self.has_blob("top", "os"))
        before = self.registry.received()
        status, log, report = self.push()
        self.assertEqual(status, 0, log)
        self.assertTrue(self.has_blob("top", "os"))
        actions = self.actions(report, "docintel/top")
        self.assertEqual(actions["os"], ("mounted", "docintel/base"))
        self.assertEqual(actions["app"], ("mounted", "docintel/base"))
        self.assertEqual(actions["extra"], ("uploaded", "local"))
        layer = len(self.images.layers["extra"][1])
        self.assertLess(self.registry.received() - before, layer + 20_000, "the shared layers were uploaded")
        self.assertIn("mounted from docintel/base", log)

    def test_blobs_stream_from_the_remote_cache_when_not_local(self) -> None:
        self.move_to_cache("os", "extra")
        files_before = sorted(p.name for p in (self.images.root / "bin").iterdir())
        status, log, report = self.push("--remote-cache", self.cache.url)
        self.assertEqual(status, 0, log)
        self.assertEqual(self.tag_digest("top"), self.images.digests["top"])
        self.assertEqual(self.actions(report, "docintel/base")["os"], ("uploaded", "cache"))
        self.assertEqual(self.actions(report, "docintel/top")["extra"], ("uploaded", "cache"))
        fetched = {uri.removeprefix("/cas/") for uri in self.cache.gets(at_least=2)}
        self.assertEqual(fetched, {self.images.layers[n][0].removeprefix("sha256:") for n in ("os", "extra")})
        self.assertEqual(
            sorted(p.name for p in (self.images.root / "bin").iterdir()), files_before, "a blob went to disk"
        )

    def test_remote_cache_from_the_environment(self) -> None:
        self.move_to_cache("app")
        os.environ[push.CACHE_ENV] = self.cache.url
        self.addCleanup(os.environ.pop, push.CACHE_ENV, None)
        status, log, report = self.push(names=("base",))
        self.assertEqual(status, 0, log)
        self.assertEqual(self.actions(report, "docintel/base")["app"], ("uploaded", "cache"))

    def test_an_index_goes_up_after_its_images_and_the_tags_point_at_it(self) -> None:
        spec, index = self.images.index_spec("multi", ["base", "top"])
        status, log, report = self.push(spec=spec)
        self.assertEqual(status, 0, log)
        pushed = [(i["image"], i["repository"].rsplit("/", 1)[1], i["tagged"]) for i in report["images"]]
        self.assertEqual(
            pushed,
            [("//images:base", "multi", False), ("//images:top", "multi", False), ("//images:multi", "multi", True)],
        )
        self.assertEqual(self.client().manifest_digest("docintel/multi", "latest", INDEX_TYPE), index)
        for name in ("base", "top"):
            digest = self.images.digests[name]
            self.assertEqual(self.client().manifest_digest("docintel/multi", digest, MANIFEST_TYPE), digest)

    def test_an_index_that_does_not_list_its_images_is_refused(self) -> None:
        spec, _ = self.images.index_spec("multi", ["base", "top"], listed=["base"])
        status, log, _ = self.push(spec=spec)
        self.assertEqual(status, 1, log)
        self.assertIn("does not list the images the push names; rebuild //images:multi", log)
        self.assertIsNone(self.client().manifest_digest("docintel/multi", "latest", INDEX_TYPE))

    # --- failures: nothing wrong gets in, no tag moves ---------------------------

    def push_old_version(self) -> SmallImages:
        old = SmallImages.build(self.tmp / "old", IMAGES, salt="old")
        os.environ["RUNFILES_DIR"] = str(old.root)
        self.assertEqual(self.push(images=old)[0], 0)
        os.environ["RUNFILES_DIR"] = str(self.images.root)
        return old

    def assert_tags_untouched(self, old: SmallImages) -> None:
        for name in ("base", "top"):
            self.assertEqual(self.tag_digest(name), old.digests[name], f"the tag of {name} moved")

    def test_wrong_bytes_from_the_cache_are_refused(self) -> None:
        old = self.push_old_version()
        digest, data = self.images.layers["extra"]
        self.images.remove_layer("extra")
        self.cache.put(digest, data[:-1] + bytes([data[-1] ^ 1]))
        status, log, _ = self.push("--remote-cache", self.cache.url)
        self.assertEqual(status, 1, log)
        self.assertRegex(log, rf"the remote cache {self.cache.url} gave {len(data)} bytes hashing to sha256:\w+, not")
        self.assertIn(digest, log)
        self.assertIn("no tag was changed", log)
        self.assertFalse(self.has_blob("top", "extra"), "the registry committed the wrong bytes")
        self.assert_tags_untouched(old)

    def test_a_cache_entry_of_the_wrong_size_is_refused(self) -> None:
        digest, data = self.images.layers["os"]
        self.images.remove_layer("os")
        self.cache.put(digest, data + b"more")
        status, log, _ = self.push("--remote-cache", self.cache.url, names=("base",))
        self.assertEqual(status, 1, log)
        self.assertIn(f"holds {len(data) + 4} bytes under {digest}", log)
        self.assertFalse(self.has_blob("base", "os"))

    def test_a_blob_neither_local_nor_cached_is_named(self) -> None:
        old = self.push_old_version()
        self.images.remove_layer("extra")
        status, log, _ = self.push("--remote-cache", self.cache.url)
        self.assertEqual(status, 1, log)
        digest = self.images.layers["extra"][0]
        self.assertIn(f"the blob {digest} (204.8 kB, made by //images:extra)", log)
        self.assertIn(f"nor in the remote cache {self.cache.url}", log)
        self.assertIn("build it (`bazel build //images:extra`)", log)
        self.assert_tags_untouched(old)
        # base went up by digest before top failed; its tag still did not move.
        self.assertTrue(self.has_blob("base", "app"))

    def test_without_a_cache_the_missing_blob_says_how_to_give_one(self) -> None:
        self.images.remove_layer("app")
        status, log, _ = self.push(names=("base",))
        self.assertEqual(status, 1, log)
        self.assertIn("no remote cache was given (--remote-cache URL or $DOCINTEL_REMOTE_CACHE)", log)

    def test_cache_credentials_are_never_printed(self) -> None:
        self.images.remove_layer("app")
        host = self.cache.url.removeprefix("http://")
        status, log, _ = self.push(
            "--remote-cache",
            f"http://ci:pa55word@{host}",
            "--remote-cache-header",
            "X-Api-Key=t0ps3cret",
            names=("base",),
        )
        self.assertEqual(status, 1, log)
        self.assertIn(f"nor in the remote cache http://{host}", log)
        self.assertNotIn("pa55word", log)
        self.assertNotIn("t0ps3cret", log)

    def test_registry_down(self) -> None:
        self.registry.stop()
        status, log, _ = self.push()
        self.assertEqual(status, 1, log)
        self.assertIn("connection refused", log)
        self.assertIn("no tag was changed", log)

    def test_read_only_registry_refuses_and_tags_stay(self) -> None:
        old = self.push_old_version()
        port = int(self.registry.address.rsplit(":", 1)[1])
        self.registry.stop()
        self.registry = self.start_registry(read_only=True, port=port)
        status, log, _ = self.push()
        self.assertEqual(status, 1, log)
        self.assertIn("refused to start an upload to docintel/base: 405 Method not allowed", log)
        self.assert_tags_untouched(old)

    def test_a_bad_tag_is_refused_before_anything_is_pushed(self) -> None:
        old = self.push_old_version()
        for tags, args, message in (
            (None, ("--tag", "v2+build"), "--tag gives the tag 'v2+build', which registries refuse"),
            (None, ("--tag", "v" * 129), f"--tag gives the tag '{'v' * 129}'"),
            (["v2", "team/v2"], (), "the tags file tags.txt gives the tag 'team/v2'"),
        ):
            with self.subTest(message=message):
                status, log, _ = self.push(*args, spec=self.images.spec(["base", "top"], tags=tags))
                self.assertEqual(status, 2, log)
                self.assertIn(message, log)
                self.assertIn("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", log)
                self.assert_tags_untouched(old)
                self.assertFalse(self.has_blob("top", "extra"), "blobs went up before the tags were checked")

    # --- usage ------------------------------------------------------------------

    def test_a_relative_report_goes_where_bazel_run_was_called(self) -> None:
        called_in = self.tmp / "workspace"
        called_in.mkdir()
        os.environ["BUILD_WORKING_DIRECTORY"] = str(called_in)
        self.addCleanup(os.environ.pop, "BUILD_WORKING_DIRECTORY", None)
        self.addCleanup(Path("push_tool_test_report.json").unlink, missing_ok=True)
        status, log, _ = self.push("--report", "push_tool_test_report.json", names=("base",))
        self.assertEqual(status, 0, log)
        report = json.loads((called_in / "push_tool_test_report.json").read_text())
        self.assertEqual(report["tags"], ["latest"])

    def test_a_report_that_cannot_be_written_is_refused_before_anything_is_pushed(self) -> None:
        os.environ["DOCINTEL_BUILD_ROOT_SHARED"] = str(self.tmp)
        self.addCleanup(os.environ.pop, "DOCINTEL_BUILD_ROOT_SHARED", None)
        for report, message in (
            ("/srv/push_tool_test/report.json", "is outside what tools/bazel's build root shares with this machine"),
            (str(self.tmp / "absent" / "report.json"), f"the directory {self.tmp / 'absent'} does not exist"),
        ):
            with self.subTest(report=report):
                status, log, _ = self.push("--report", report)
                self.assertEqual(status, 2, log)
                self.assertIn(f"--report {report}", log)
                self.assertIn(message, log)
                self.assertFalse(self.has_blob("base", "os"), "blobs went up before the report path was checked")

    def test_the_usage_names_a_define_only_where_one_sets_the_repository(self) -> None:
        spec = self.images.spec(["base"])
        for attribute, define in (("", None), ("$(PUSH_REPOSITORY)", "PUSH_REPOSITORY")):
            spec.write_text(json.dumps(json.loads(spec.read_text()) | {"repository_attribute": attribute}))
            output = io.StringIO()
            with contextlib.redirect_stderr(output):
                status = push.main(["--spec", str(spec)])
            self.assertEqual(status, 2, output.getvalue())
            self.assertIn("usage: bazel run //images:push -- --repository REGISTRY/NAME", output.getvalue())
            if define:
                self.assertIn(f"run --define={define}=REGISTRY/NAME' in user.bazelrc", output.getvalue())
            else:
                self.assertNotIn("--define", output.getvalue())

    def test_missing_or_malformed_repository_is_a_usage_error(self) -> None:
        spec = self.images.spec(["base"])
        for args, message in (([], "missing --repository"), (["--repository", "docintel"], "is not REGISTRY/NAME")):
            output = io.StringIO()
            with contextlib.redirect_stderr(output):
                status = push.main(["--spec", str(spec), *args])
            self.assertEqual(status, 2, output.getvalue())
            self.assertIn(message, output.getvalue())

    def test_grpc_cache_is_refused_clearly(self) -> None:
        status, log, _ = self.push("--remote-cache", "grpc://127.0.0.1:9092", names=("base",))
        self.assertEqual(status, 1, log)
        self.assertIn("speaks gRPC, and this push reads HTTP caches only", log)


if __name__ == "__main__":
    unittest.main()
