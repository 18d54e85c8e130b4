"""The question before an action: a title, what the action does, and two buttons.

``ConfirmDialog`` returns True when the action is confirmed, False when not (the
cancelling button, or Esc); ← and → move between the buttons (a ``ButtonRow``). A
destructive action (a delete, a merge, an undo, throwing a form's changes away) is asked
in red with the cancelling button focused, so Enter alone never does it; any other is
asked with the confirming button focused.

The questions of the app are its subclasses: ``record_forms.ConfirmDelete`` (which
deletes once confirmed), ``duplicates.ConfirmMerge`` and ``import_batches.ConfirmUndo``;
``form_base`` asks "Discard your changes?" with it as it is.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from coalition.tui.jobs import JobModal
from coalition.tui.widgets.buttons import ButtonRow


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
