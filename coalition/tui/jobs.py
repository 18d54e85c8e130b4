"""Database jobs: the one place a worker's failure becomes a notification.

Every database job runs in a thread worker (``@work(thread=True,
exit_on_error=False)``) so the screen never freezes; workers report failures
through ``Worker.StateChanged``, which does not bubble, so each screen that
runs jobs (``JobScreen``, and ``JobModal`` for the dialogs and forms over it)
and the app forward it to ``report_failure``.
A ``CoalitionError`` is a sentence for the user; anything else is a bug,
logged with its traceback and reported as one. A form says it in its own
error line rather than in a notification (``JobModal.report_failure``), which
at 80x24 would cover its buttons.

Textual calls a message's handler on every class of a screen's MRO, base
classes included, so a screen's own ``on_worker_state_changed`` does only its
own bookkeeping: the one here runs after it and reports the failure (calling it
again through ``super()`` would report the failure twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from coalition.errors import CoalitionError

if TYPE_CHECKING:
    from coalition.domain.audit import Work
    from coalition.tui.app import CoalitionApp

ResultType = TypeVar("ResultType")


def failure(app: Any, event: Worker.StateChanged) -> tuple[str, bool] | None:
    """What to say of a failed worker, and whether it is a bug (then logged); None when
    the worker did not fail."""
    if event.state is not WorkerState.ERROR:
        return None
    error = event.worker.error
    if isinstance(error, CoalitionError):
        return str(error), False
    app.log.error(f"worker {event.worker.name!r} failed: {error!r}")
    return (
        f"Something went wrong ({type(error).__name__}: {error}). This is a bug; "
        "please report it with what you were doing.",
        True,
    )


def report_failure(app: Any, event: Worker.StateChanged) -> None:
    """Turn a failed worker into a notification (markup off: messages quote user data)."""
    found = failure(app, event)
    if found is None:
        return
    sentence, bug = found
    if bug:
        app.notify(sentence, title="Unexpected error", severity="error", timeout=15, markup=False)
    else:
        app.notify(sentence, title="Could not do that", severity="error", markup=False)


Result = TypeVar("Result")


def answer(
    app: Any,
    job: Callable[[], Result],
    done: Callable[[Result], None],
    refused: Callable[[str], None],
) -> None:
    """In a worker thread: run ``job``, then, on the app's thread, hand its result to
    ``done`` or, when the domain refused (a ``CoalitionError``), its sentence to ``refused``.
    Anything else is a bug, reported as the worker's failure."""
    try:
        result = job()
    except CoalitionError as error:
        app.call_from_thread(refused, str(error))
        return
    app.call_from_thread(done, result)


def answer_write(
    app: Any,
    action: Callable[[Work], Result],
    done: Callable[[Result], None],
    refused: Callable[[str], None],
) -> None:
    """``answer`` for a write: ``action`` runs in one unit of work of the app's database,
    recorded as the app's coordinator (all of it, or nothing when it is refused)."""
    from coalition.domain.audit import work as unit_of_work

    def job() -> Result:
        with unit_of_work(app.database(), app.coordinator) as w:
            return action(w)

    answer(app, job, done, refused)


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


class JobModal(ModalScreen[ResultType]):
    """A dialog or form over a screen that runs database jobs in thread workers.

    One that writes names its writing job's worker group in ``WRITE_GROUP`` and sets
    ``writing`` while the job runs (its button is not pressed twice); the job's result
    clears it. Should the job end without one (it failed, and is reported), ``writing``
    is cleared here and ``write_ended`` shows the screen ready again.
    """

    WRITE_GROUP: ClassVar[str | None] = None
    """The worker group of the job that writes."""

    writing: bool = False
    """The writing job is running."""

    @property
    def coalition(self) -> CoalitionApp:
        return cast("CoalitionApp", self.app)

    def write_ended(self) -> None:
        """The writing job ended without its result (it failed): show the screen ready to
        try again, what was typed kept."""

    def report_failure(self, event: Worker.StateChanged) -> None:
        """Say that one of the dialog's jobs failed: a notification, unless the dialog
        says it itself (a form, in its own error line)."""
        report_failure(self.app, event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if self.writing and worker.is_finished and worker.group == self.WRITE_GROUP:
            self.writing = False
            if self.is_attached:
                self.write_ended()
        self.report_failure(event)
