"""Progress reporting on stderr: a live bar on terminals, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .units import human_bytes, human_rate

BAR_WIDTH = 24
BAR_LINE_WIDTH = 79  # pad so a shorter redraw hides the previous one
BAR_INTERVAL = 0.1  # seconds between bar redraws
LINE_INTERVAL = 5.0  # seconds between plain progress lines
QUIET_BELOW = 1024 * 1024  # plain mode: no "fetching" line for smaller files


class Reporter:
    """Reports model fetch progress to a text stream.

    ``bar=True`` draws a bar redrawn in place (bytes done/total, rate); ``False``
    writes plain lines, suited to logs. ``enabled=False`` silences everything.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        bar: bool = False,
        enabled: bool = True,
    ) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.bar = bar
        self.enabled = enabled
        self._label = ""
        self._total = 0
        self._done = 0
        self._transferred = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._bar_open = False

    @classmethod
    def for_stderr(cls, progress: bool) -> Reporter:
        """A reporter on stderr: a bar if ``progress`` or stderr is a TTY, else lines."""
        stream = sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream, bar=progress or tty)

    def message(self, text: str) -> None:
        """Write one line of text."""
        if self.enabled:
            self._end_bar()
            self._write(text + "\n")

    def start(self, label: str, total: int, done: int = 0) -> None:
        """Begin a transfer of ``total`` bytes of which ``done`` are already present."""
        self._label = label
        self._total = total
        self._done = done
        self._transferred = 0
        self._started = self._last_draw = time.monotonic()
        resumed = f", resuming at {human_bytes(done)}" if done else ""
        if self.bar:
            self._draw()
        elif total >= QUIET_BELOW or done:
            self.message(f"fetching {label} ({human_bytes(total)}{resumed})")

    def restart(self, done: int) -> None:
        """The transfer continues from ``done`` bytes (after a resume or a restart)."""
        self._done = done

    def advance(self, n: int) -> None:
        """Record ``n`` more bytes received."""
        self._done += n
        self._transferred += n
        now = time.monotonic()
        if self.bar and now - self._last_draw >= BAR_INTERVAL:
            self._last_draw = now
            self._draw()
        elif not self.bar and now - self._last_draw >= LINE_INTERVAL:
            self._last_draw = now
            self.message(f"  {self._label}: {self._status()}")

    def finish(self) -> None:
        """End the current transfer successfully."""
        elapsed = time.monotonic() - self._started
        if self.bar:
            self._draw()
            self._end_bar()
        else:
            self.message(
                f"fetched {self._label}: {human_bytes(self._transferred)} in {elapsed:.1f} s "
                f"({human_rate(self._transferred, elapsed)})"
            )

    def abort(self) -> None:
        """End the current transfer after a failure (terminates a bar line)."""
        self._end_bar()

    def _end_bar(self) -> None:
        if self._bar_open:
            self._bar_open = False
            self._write("\n")

    def _status(self) -> str:
        elapsed = time.monotonic() - self._started
        return f"{human_bytes(self._done)}/{human_bytes(self._total)} {human_rate(self._transferred, elapsed)}"

    def _draw(self) -> None:
        fraction = min(1.0, self._done / self._total) if self._total else 1.0
        filled = int(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"{self._label} [{bar}] {fraction:4.0%} {self._status()}"
        self._write("\r" + line.ljust(BAR_LINE_WIDTH))
        self._bar_open = True

    def _write(self, text: str) -> None:
        if not self.enabled:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
