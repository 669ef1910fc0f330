"""How a long run says how far it is: a progress bar on a terminal, a plain line per tenth in a log.

Both report counts only, never a file name: a case file's name may carry a client's name.
"""

from __future__ import annotations

import math
import sys
import time
from typing import IO, Any, Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int, failed: int) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, done: int, failed: int) -> None:
        pass

    def stop(self) -> None:
        pass


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class PlainProgress:
    """Plain lines for a log or a pipe: one per tenth of the batch (one per file for ten or fewer),
    no terminal codes, counts only (a file name may carry a client's name)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = 0
        self.every = 1
        self.began = 0.0

    def start(self, total: int) -> None:
        self.total, self.began = total, time.monotonic()
        self.every = max(1, math.ceil(total / 10))

    def advance(self, done: int, failed: int) -> None:
        if done % self.every and done != self.total:
            return
        elapsed = max(time.monotonic() - self.began, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate else 0.0
        percent = 100 * done // self.total if self.total else 100
        print(f"batch: {done}/{self.total} cases ({percent}%), {rate:.1f} cases/s, {failed} failed, "
              f"ETA {_duration(eta)}", file=self.stream, flush=True)

    def stop(self) -> None:
        pass


class RichProgress:
    """A progress bar on a terminal: count, rate, elapsed and remaining time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} cases/s"),
                            TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.task: Any = None
        self.began = 0.0

    def start(self, total: int) -> None:
        self.began = time.monotonic()
        self.bar.start()
        self.task = self.bar.add_task("batch", total=total, rate="-", failed=0)

    def advance(self, done: int, failed: int) -> None:
        rate = done / max(time.monotonic() - self.began, 1e-9)
        self.bar.update(self.task, completed=done, rate=f"{rate:.1f}", failed=failed)

    def stop(self) -> None:
        self.bar.stop()
