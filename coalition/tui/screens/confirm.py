"""The question before an action: a title, what the action does, and two buttons.

``ConfirmDialog`` returns True when the action is confirmed, False when not (the
cancelling button, or Esc); ← and → move between the buttons (a ``ButtonRow``). A
destructive action (a delete, a merge, an undo, throwing a form's changes away) is asked
in red with the cancelling button focused, so Enter alone never does it; any other is
asked with the confirming button focused.

``ConfirmWrite`` does the action itself once it is confirmed: one unit of work in a
worker, the sentence it returns shown as it closes, a refusal shown in the dialog, which
stays open. ``record_forms.ConfirmDelete`` is one, and the campaign screen's "take it out
of the campaign" uses it as it is. ``duplicates.ConfirmMerge`` and
``import_batches.ConfirmUndo`` only ask (their screens write); ``form_base`` asks "Discard
your changes?" with ``ConfirmDialog`` as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from coalition.tui.jobs import JobModal, answer_write
from coalition.tui.widgets.buttons import ButtonRow

if TYPE_CHECKING:
    from coalition.domain.audit import Work


class ConfirmDialog(JobModal[bool]):
    """Asks before an action; returns True when it is confirmed."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self,
        title: str | Text,
        body: str | Text = "",
        *,
        confirm: str = "Yes",
        cancel: str = "Cancel",
        destructive: bool = True,
    ) -> None:
        super().__init__()
        self.heading = Text(title, style="bold") if isinstance(title, str) else title
        """The question, a line in bold (text as given: a name is never read as markup)."""
        self.body = Text(body) if isinstance(body, str) else body
        """What the action does."""
        self.confirm_label = confirm
        self.cancel_label = cancel
        self.destructive = destructive
        self.set_class(not destructive, "-safe")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body"):
            yield Static(self.heading, id="confirm-title")
            yield Static(self.body, id="confirm-text")
            yield Static(id="confirm-error")
            with ButtonRow(id="confirm-buttons"):
                yield Button(
                    self.confirm_label,
                    id="confirm-ok",
                    variant="error" if self.destructive else "primary",
                    compact=True,
                )
                yield Button(self.cancel_label, id="confirm-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel" if self.destructive else "#confirm-ok").focus()

    def show_body(self, body: str | Text) -> None:
        """Say what the action does in other words (once more of it is known)."""
        text = Text(body) if isinstance(body, str) else body
        self.query_one("#confirm-text", Static).update(text)

    def show_error(self, message: str | None) -> None:
        """Say why the action was refused (None: take that away)."""
        error = self.query_one("#confirm-error", Static)
        error.update(Text(message or ""))
        error.display = bool(message)

    @on(Button.Pressed, "#confirm-ok")
    def action_confirm(self) -> None:
        self.confirmed()

    @on(Button.Pressed, "#confirm-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def confirmed(self) -> None:
        """The action was confirmed: by default, the answer is True."""
        self.dismiss(True)


class ConfirmWrite(ConfirmDialog):
    """Asks, then writes: ``write`` runs in one unit of work in a worker and returns the
    sentence saying what was done, shown as the dialog closes (returning True). A refusal
    (a ``CoalitionError``) is shown in the dialog, which stays open; Cancel returns False.
    """

    WRITE_GROUP = "confirm-write"
    DONE_TITLE = "Done"

    def __init__(
        self,
        title: str | Text,
        body: str | Text = "",
        write: Callable[[Work], str] | None = None,
        *,
        confirm: str = "Yes",
        cancel: str = "Cancel",
        done_title: str | None = None,
    ) -> None:
        super().__init__(title, body, confirm=confirm, cancel=cancel)
        self._write = write
        self.done_title = done_title or self.DONE_TITLE

    def write(self, work: Work) -> str:
        """The action, in the unit of work ``work``; returns what was done, in a sentence."""
        assert self._write is not None, "give write, or override it"
        return self._write(work)

    def confirmed(self) -> None:
        if self.writing:
            return
        self.writing = True
        self.query_one("#confirm-ok", Button).disabled = True
        self.run_write()

    @work(thread=True, exclusive=True, group="confirm-write", exit_on_error=False)
    def run_write(self) -> None:
        answer_write(self.coalition, self.write, self._done, self._refused)

    def _refused(self, message: str) -> None:
        self.writing = False
        if self.is_attached:
            self.show_error(message)
            self.write_ended()

    def write_ended(self) -> None:
        self.query_one("#confirm-ok", Button).disabled = False

    def _done(self, sentence: str) -> None:
        self.writing = False
        self.app.notify(sentence, title=self.done_title, markup=False)
        if self.is_attached:
            self.dismiss(True)
