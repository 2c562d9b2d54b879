"""binfmt.py against a binfmt_misc directory made in a temporary folder (the real one is the host kernel's)."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from binfmt import Binfmt, Handler, UnavailableError

INTERPRETER = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
# /proc/sys/fs/binfmt_misc/qemu-aarch64 as Debian 12's qemu-user-static registers it.
REGISTERED = """enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""


class HandlerTest(unittest.TestCase):
    def test_parse(self) -> None:
        handler = Handler.parse(REGISTERED)
        self.assertEqual(
            handler, Handler(enabled=True, interpreter="/usr/libexec/qemu-binfmt/aarch64-binfmt-P", flags="POF")
        )
        self.assertFalse(Handler.parse(REGISTERED.replace("enabled", "disabled", 1)).enabled)


class EnsureTest(unittest.TestCase):
    def setUp(self) -> None:
        work = tempfile.TemporaryDirectory()
        self.addCleanup(work.cleanup)
        self.mount = Path(work.name) / "binfmt_misc"
        self.conf = Path(work.name) / "binfmt.d"
        self.mount.mkdir()
        self.conf.mkdir()
        (self.mount / "register").write_text("")
        self.binfmt = Binfmt(mount_point=self.mount, conf_dir=self.conf)

    def test_registered_with_f_is_left_alone(self) -> None:
        (self.mount / "qemu-aarch64").write_text(REGISTERED)
        done = self.binfmt.ensure("aarch64")
        self.assertEqual(done, ["qemu-aarch64: registered (/usr/libexec/qemu-binfmt/aarch64-binfmt-P, flags POF)"])
        self.assertEqual((self.mount / "register").read_text(), "")

    def test_without_qemu_user_static_says_what_to_install(self) -> None:
        with self.assertRaisesRegex(UnavailableError, "apt-get install qemu-user-static"):
            self.binfmt.ensure("aarch64")

    def test_a_registration_without_f_is_replaced(self) -> None:
        (self.mount / "qemu-aarch64").write_text(REGISTERED.replace("flags: POF", "flags: P"))
        (self.conf / "qemu-aarch64.conf").write_text(
            ":qemu-aarch64:M::magic:mask:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF\n"
        )
        done = self.binfmt.ensure("aarch64")
        self.assertIn(f"qemu-aarch64: removed a registration of {INTERPRETER} with flags P (enabled: True)", done)
        self.assertEqual((self.mount / "qemu-aarch64").read_text(), "-1")
        self.assertTrue((self.mount / "register").read_text().startswith(":qemu-aarch64:M::"))


class InterpreterTest(unittest.TestCase):
    """ensure --interpreter (another emulator, e.g. the pinned @qemu_user's) and reset (Debian's again)."""

    EMULATOR = "/out/external/qemu_user/usr/bin/qemu-aarch64"

    def setUp(self) -> None:
        work = tempfile.TemporaryDirectory()
        self.addCleanup(work.cleanup)
        self.mount = Path(work.name) / "binfmt_misc"
        conf = Path(work.name) / "binfmt.d"
        self.mount.mkdir()
        conf.mkdir()
        (self.mount / "register").write_text("")
        (conf / "qemu-aarch64.conf").write_text(f":qemu-aarch64:M::magic:mask:{INTERPRETER}:OPF\n")
        self.binfmt = Binfmt(mount_point=self.mount, conf_dir=conf)

    def test_debians_handler_is_replaced_by_the_given_emulator(self) -> None:
        (self.mount / "qemu-aarch64").write_text(REGISTERED)
        done = self.binfmt.ensure("aarch64", self.EMULATOR)
        self.assertIn(f"qemu-aarch64: removed a registration of {INTERPRETER} with flags POF (enabled: True)", done)
        self.assertEqual((self.mount / "register").read_text(), f":qemu-aarch64:M::magic:mask:{self.EMULATOR}:OF")

    def test_the_given_emulator_already_registered_is_left_alone(self) -> None:
        (self.mount / "qemu-aarch64").write_text(REGISTERED.replace(INTERPRETER, self.EMULATOR).replace("POF", "OF"))
        self.assertEqual(
            self.binfmt.ensure("aarch64", self.EMULATOR), [f"qemu-aarch64: registered ({self.EMULATOR}, flags OF)"]
        )
        self.assertEqual((self.mount / "register").read_text(), "")

    def test_reset_registers_debians_line_again(self) -> None:
        (self.mount / "qemu-aarch64").write_text(REGISTERED.replace(INTERPRETER, self.EMULATOR).replace("POF", "OF"))
        self.binfmt.reset("aarch64")
        self.assertEqual((self.mount / "qemu-aarch64").read_text(), "-1")
        self.assertEqual((self.mount / "register").read_text(), f":qemu-aarch64:M::magic:mask:{INTERPRETER}:OPF")


if __name__ == "__main__":
    unittest.main()
