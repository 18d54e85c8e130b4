"""A row of buttons at the foot of a form or a dialog: ← and → move between them.

Tab goes through the whole form, fields first; once a button has the focus, the arrows
go to the one beside it (round the row: → on the last goes to the first), skipping the
buttons hidden or disabled, as the question before a delete always did.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button


class ButtonRow(Horizontal):
    """Buttons side by side; ← and → move the focus between them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous button", show=False),
        Binding("right", "step(1)", "Next button", show=False),
    ]

    def action_step(self, step: int) -> None:
        buttons = [b for b in self.query(Button) if b.display and b.focusable]
        focused = self.screen.focused
        if focused in buttons:
            at = buttons.index(focused)
            buttons[(at + step) % len(buttons)].focus()
