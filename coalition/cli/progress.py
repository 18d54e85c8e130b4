"""A progress bar for the domain's and the store's progress callbacks."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A rich progress bar on stderr, only when stderr is a terminal; called as
    ``(stage, done, total)``, one bar per stage."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBar:
        if sys.stderr.isatty():
            # rich.progress costs ~40 ms to import: only a terminal, which shows it, pays.
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=max(total, 1))
        self.bar.update(self.tasks[stage], completed=done, total=max(total, 1))

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
