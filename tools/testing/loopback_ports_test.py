"""loopback_ports: ports nothing listens on, and a start that lost its port to another process starts again."""

from __future__ import annotations

import errno
import socket
import unittest

import loopback_ports


def listen(port: int) -> socket.socket:
    """A real listening socket on `port`; PortTakenError when another socket has it."""
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", port))
    except OSError as error:
        server.close()
        if error.errno == errno.EADDRINUSE:
            raise loopback_ports.PortTakenError(str(error)) from error
        raise
    server.listen()
    return server


class LoopbackPortsTest(unittest.TestCase):
    def test_free_ports_differ_and_can_be_listened_on(self) -> None:
        ports = loopback_ports.free_ports(5)
        self.assertEqual(len(set(ports)), 5)
        for port in ports:
            listen(port).close()

    def test_a_start_that_lost_its_port_starts_again_on_another(self) -> None:
        taken: list[socket.socket] = []

        def start(ports: list[int]) -> socket.socket:
            if not taken:
                taken.append(listen(ports[0]))  # another process takes the port first
                self.addCleanup(taken[0].close)
            return listen(ports[0])

        server = loopback_ports.start_on_free_ports(1, start)
        self.addCleanup(server.close)
        self.assertNotEqual(server.getsockname()[1], taken[0].getsockname()[1])

    def test_the_last_attempt_s_error_propagates(self) -> None:
        holder = listen(0)
        self.addCleanup(holder.close)
        starts: list[list[int]] = []

        def start(ports: list[int]) -> socket.socket:
            starts.append(ports)
            return listen(holder.getsockname()[1])

        with self.assertRaises(loopback_ports.PortTakenError):
            loopback_ports.start_on_free_ports(2, start, attempts=3)
        self.assertEqual([len(ports) for ports in starts], [2, 2, 2])

    def test_the_last_attempt_s_error_becomes_the_caller_s_failure(self) -> None:
        holder = listen(0)
        self.addCleanup(holder.close)

        def start(ports: list[int]) -> socket.socket:
            return listen(holder.getsockname()[1])

        with self.assertRaisesRegex(LookupError, "Address already in use"):
            loopback_ports.start_on_free_ports(1, start, attempts=2, failure=LookupError)

    def test_the_caller_s_first_port_leads_and_is_started_on_once(self) -> None:
        holder = listen(0)
        self.addCleanup(holder.close)
        given = holder.getsockname()[1]
        starts: list[list[int]] = []

        def start(ports: list[int]) -> socket.socket:
            starts.append(ports)
            return listen(ports[0])

        with self.assertRaisesRegex(LookupError, "Address already in use"):
            loopback_ports.start_on_free_ports(2, start, first=given, failure=LookupError)
        self.assertEqual(len(starts), 1)
        self.assertEqual(starts[0][0], given)
        self.assertNotIn(starts[0][1], (0, given))

    def test_other_errors_are_not_retried(self) -> None:
        starts: list[list[int]] = []

        def start(ports: list[int]) -> None:
            starts.append(ports)
            raise RuntimeError("the server's config is wrong")

        with self.assertRaisesRegex(RuntimeError, "config is wrong"):
            loopback_ports.start_on_free_ports(1, start)
        self.assertEqual(len(starts), 1)


class RunStartScriptTest(unittest.TestCase):
    def test_a_started_server_s_output_is_returned(self) -> None:
        self.assertEqual(
            loopback_ports.run_start_script(["sh", "-c", "echo http://127.0.0.1:1"], OSError), "http://127.0.0.1:1"
        )

    def test_words_about_a_taken_port_are_a_port_taken_error(self) -> None:
        script = "echo 'bind() failed (98: Address already in use)' >&2; exit 1"
        with self.assertRaisesRegex(loopback_ports.PortTakenError, "Address already in use"):
            loopback_ports.run_start_script(["sh", "-c", script], OSError)

    def test_other_failures_raise_the_given_error_with_the_script_s_words(self) -> None:
        with self.assertRaisesRegex(LookupError, "no such config; fix: install it"):
            loopback_ports.run_start_script(["sh", "-c", "echo 'no such config; fix: install it'; exit 3"], LookupError)


if __name__ == "__main__":
    unittest.main()
