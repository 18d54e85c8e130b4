"""Database jobs: the one place a worker's failure becomes a notification.

Every database job runs in a thread worker (``@work(thread=True,
exit_on_error=False)``) so the screen never freezes; workers report failures
through ``Worker.StateChanged``, which does not bubble, so each screen that
runs jobs (``JobScreen``) and the app forward it to ``report_failure``.
A ``CoalitionError`` is a sentence for the user; anything else is a bug,
logged with its traceback and reported as one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from coalition.errors import CoalitionError

if TYPE_CHECKING:
    from coalition.tui.app import CoalitionApp


def report_failure(app: Any, event: Worker.StateChanged) -> None:
    """Turn a failed worker into a notification (markup off: messages quote user data)."""
    if event.state is not WorkerState.ERROR:
        return
    error = event.worker.error
    if isinstance(error, CoalitionError):
        app.notify(str(error), title="Could not do that", severity="error", markup=False)
        return
    app.log.error(f"worker {event.worker.name!r} failed: {error!r}")
    app.notify(
        f"Something went wrong ({type(error).__name__}: {error}). This is a bug; "
        "please report it with what you were doing.",
        title="Unexpected error",
        severity="error",
        timeout=15,
        markup=False,
    )


class JobScreen(Screen[None]):
    """A screen that runs database jobs in thread workers."""

    @property
    def coalition(self) -> CoalitionApp:
        return cast("CoalitionApp", self.app)

    @property
    def busy(self) -> bool:
        """A job is due or its result not yet shown (tests and benchmarks wait on this)."""
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self.app, event)
