"""A small terminal progress bar (stderr, only on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """`[#########.........]  4500/10000  45%  loss 0.4123  812 it/s  eta 7s`, redrawn in place."""

    def __init__(self, total: int, width: int = 30, stream: TextIO = sys.stderr, enabled: bool | None = None) -> None:
        self.total = max(total, 1)
        self.width = width
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, done: int, **fields: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        frac = done / self.total
        filled = int(frac * self.width)
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate > 0 else 0.0
        extra = "  ".join(f"{k} {v:.4f}" for k, v in fields.items())
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:>{len(str(self.total))}}/{self.total} {frac:4.0%}  {extra}  {rate:.0f} it/s  eta {eta:.0f}s"
        self.stream.write(line + "\033[K")
        self.stream.flush()

    def write(self, text: str) -> None:
        """Print a line above the bar."""
        if self.enabled:
            self.stream.write("\r\033[K")
        print(text, flush=True)

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
