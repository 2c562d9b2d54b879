"""Loopback TCP ports for the servers the tools' tests and tools/bench start, and starting despite a race.

A port found free can be taken by another process before the server listens
on it. :func:`start_on_free_ports` chooses fresh ports then and starts again::

    registry = start_on_free_ports(2, lambda ports: start_registry(*ports))

where ``start_registry`` runs the server's start script through
:func:`run_start_script`, which raises :class:`PortTakenError` when the
script's words say "address already in use".
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

_Started = TypeVar("_Started")

ATTEMPTS = 3
"""How many starts :func:`start_on_free_ports` tries before it gives up."""


class PortTakenError(Exception):
    """A server could not listen: another process took its port after it was chosen."""


def free_ports(count: int) -> list[int]:
    """`count` different loopback ports nothing listens on now (held together while chosen, so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [int(each.getsockname()[1]) for each in sockets]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    return free_ports(1)[0]


def start_on_free_ports(
    count: int,
    start: Callable[[list[int]], _Started],
    *,
    first: int | None = None,
    attempts: int = ATTEMPTS,
    failure: type[Exception] | None = None,
) -> _Started:
    """`start(ports)` on `count` free ports; on fresh ones while it raises PortTakenError, `attempts` starts at most.

    A `first` port (the caller's own: a port given to it, or the one a server
    restarts on) is the first of the ports, and there is one start only, since
    another port would not do. The last start's PortTakenError propagates, as
    `failure` with its words if that is given.
    """
    tries = 1 if first else attempts
    for attempt in range(1, tries + 1):
        try:
            return start([first, *free_ports(count - 1)] if first else free_ports(count))
        except PortTakenError as error:
            if attempt < tries:
                continue
            if failure is None:
                raise
            raise failure(str(error)) from None
    raise ValueError(f"attempts must be at least 1, not {attempts}")


def run_start_script(command: Sequence[str], failure: type[Exception], *, env: Mapping[str, str] | None = None) -> str:
    """Runs a script that starts a server in the background; its standard output once the server started.

    Raises PortTakenError when the script's words say its port is already in
    use, else `failure`, each with the last 2,000 characters of those words.
    """
    started = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if started.returncode == 0:
        return started.stdout.strip()
    words = (started.stderr.strip() or started.stdout.strip())[-2000:]
    if "address already in use" in words.lower():
        raise PortTakenError(words)
    raise failure(words)
