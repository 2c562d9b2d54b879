"""Unit tests of a bench run's session: its host tools, a fresh output base and caches, its cleanup."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import session
from bazel import Bazel


class HostTest(unittest.TestCase):
    def test_required_tools_follow_the_options(self) -> None:
        self.assertIn("podman", session.required_tools(skip_seed=False, skip_container=True))
        self.assertNotIn("podman", session.required_tools(skip_seed=True, skip_container=True))
        self.assertIn("redis-server", session.required_tools(skip_seed=True, skip_container=False))
        for tool in session.required_tools(skip_seed=False, skip_container=False):
            self.assertIn(tool, session.HOST_TOOLS)


class FreshStartTest(unittest.TestCase):
    def test_setup_removes_a_leftover_output_base_and_repository_cache(self) -> None:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        for leftover in (f"bench-{os.getpid()}", f"bench-{os.getpid()}-repository-cache"):
            (root / leftover / "content_addressable").mkdir(parents=True)
        info = subprocess.CompletedProcess(["bazel", "info"], 0, stdout=f"{root}/0123abcd\n", stderr="")
        runner = session.Bench(session.Options())
        with (
            mock.patch.object(session, "host", return_value=info),
            mock.patch.object(session, "disk_needed", return_value=0),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            runner.setup()
        self.addCleanup(shutil.rmtree, runner.work)
        self.assertEqual(list(root.iterdir()), [])
        self.assertEqual(runner.bazel.output_base, root / f"bench-{os.getpid()}")

    def test_bazel_builds_use_no_remote_or_disk_cache(self) -> None:
        commands = mock.Mock()
        Bazel(Path("/root/bench-1"), commands).run("build", "//images:images", name="cold-build")
        argv = commands.run.call_args.args[0]
        for flag in ("--remote_cache=", "--disk_cache=", "--repository_cache=/root/bench-1-repository-cache"):
            self.assertIn(flag, argv)


class CleanupTest(unittest.TestCase):
    def cleaned(self, *, keep: bool = False) -> tuple[Path, list[str]]:
        """Cleans up a bench whose work directory holds logs and what the steps make."""
        work = Path(self.enterContext(tempfile.TemporaryDirectory()))
        for name in ("logs", "vendor", "registry", "cache", "models", "seed"):
            (work / name / "sub").mkdir(parents=True)
            (work / name / "sub" / "file").write_bytes(b"x")
        ran: list[str] = []
        runner = session.Bench(session.Options(keep=keep), work=work)
        runner.cleanups.append(lambda: ran.append("server stopped"))
        runner.cleanup()
        return work, ran

    def test_keeps_only_the_logs(self) -> None:
        work, ran = self.cleaned()
        self.assertEqual(sorted(entry.name for entry in work.iterdir()), ["logs"])
        self.assertEqual(ran, ["server stopped"])

    def test_keep_keeps_everything(self) -> None:
        work, _ = self.cleaned(keep=True)
        self.assertEqual(len(list(work.iterdir())), 6)


if __name__ == "__main__":
    unittest.main()
