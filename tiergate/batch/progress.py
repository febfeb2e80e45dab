"""A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.1


class Progress:
    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.in_batch = 0  # lines waiting in a provider's batch
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._drawn = 0.0
        self._tenth = -1

    def advance(self, *, failed: bool = False) -> None:
        self.done += 1
        self.failed += int(failed)
        self._draw()

    def waiting(self, lines: int) -> None:
        self.in_batch += lines
        self._draw()

    def close(self) -> None:
        self._draw(final=True)
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        bar = "#" * filled + "-" * (WIDTH - filled)
        return (
            f"[{bar}] {self.done}/{self.total} done, {self.in_batch} in provider batches, "
            f"{self.failed} failed"
        )

    def _draw(self, *, final: bool = False) -> None:
        if not self.enabled:
            return
        if self._tty:
            now = time.monotonic()
            if final or now - self._drawn >= REDRAW_S or self.done == self.total:
                self._drawn = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
            return
        tenth = 10 * self.done // self.total if self.total else 10
        if tenth != self._tenth or final:
            self._tenth = tenth
            self.stream.write(self.line() + "\n")
            self.stream.flush()
