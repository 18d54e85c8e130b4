"""The footer: Textual's, rebuilt once for a burst of binding changes, and fitted to its width.

Textual's ``Footer`` rebuilds its keys (a dozen widgets, each styled) after every
change of the screen's bindings. Opening a screen changes them two or three times
within a few milliseconds (the screen resumes, its first widget takes the focus), and
each rebuild cost ~10 ms of the start screen's first frame. Here a change that comes
while a rebuild is already waiting joins it: the rebuild reads the bindings as they
are when it runs, so the keys shown are the same, built once.

Textual's footer shows the keys one after the other and cuts the last one at the
command palette's key ("f5 Campa▏^p palette" at 80 columns). Here the keys that do not
fit are left out whole, the least useful first: the key of the screen already shown (F2
on the start screen), then the app's other screens from the last (Export, Import,
Campaign, Organisations, Contacts, Start), then Quit and Help, then the keys of where
you are from the last but the first and Esc (the way back out); the command palette's
key (which finds every action) stays.
Fitted when the bindings change and again when the width does.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter

_MODES = {
    "show_start": "start",
    "show_contacts": "contacts",
    "show_organisations": "organisations",
    "show_campaign": "campaign",
}
"""The app's keys that show a screen, and the screen (the app's mode) they show."""

_WIDE = Size(1000, 1)


class Footer(TextualFooter):
    _rebuild_waiting = False

    LEAST_USEFUL: ClassVar[tuple[str, ...]] = (
        "export",
        "import_file",
        "show_campaign",
        "show_organisations",
        "show_contacts",
        "show_start",
        "quit",
        "help",
    )
    """The app's keys left out first when the footer is too narrow, in this order: the
    keys of where you are stay longest (Ctrl+P, always shown, finds every action)."""

    def bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_waiting:
            self._rebuild_waiting = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_waiting = False
        with self.app.batch_update():  # the keys are drawn once fitted, never cut
            await self.recompose()
            self.fit()

    def on_resize(self, event: events.Resize) -> None:
        self.fit()

    # --- fitting the keys to the width --------------------------------------------------------

    def fit(self) -> None:
        """Show as many keys as the width holds, leaving out the least useful whole."""
        width = self.size.width
        if not width or not self.children:
            return
        units = self._units()
        palette = [w for w in self.children if w.has_class("-command-palette")]
        room = width - sum(_outer_width(w) for w in palette)
        used = sum(size for _, size, _ in units)
        left_out: set[int] = set()
        for index in sorted(range(len(units)), key=lambda i: units[i][2]):
            if used <= room:
                break
            left_out.add(index)
            used -= units[index][1]
        for index, (widgets, _, _) in enumerate(units):
            for widget in widgets:
                widget.display = index not in left_out

    def _units(self) -> list[tuple[list[Widget], int, int]]:
        """The keys, each with its width and its rank (the lowest is left out first); a group
        of keys and its label ("c C Sign-on") is one."""
        from textual.widgets._footer import FooterLabel, KeyGroup

        units: list[tuple[list[Widget], int]] = []
        actions: list[str | None] = []
        for widget in self.children:
            if widget.has_class("-command-palette"):
                continue
            if isinstance(widget, FooterLabel) and units and isinstance(units[-1][0][0], KeyGroup):
                group, size = units[-1]
                units[-1] = ([*group, widget], size + _outer_width(widget))
                continue
            units.append(([widget], _outer_width(widget)))
            actions.append(getattr(widget, "action", None))
        app_actions = {b.action for b in Binding.make_bindings(type(self.app).BINDINGS)}
        shown_mode = self.app.current_mode if len(self.app.screen_stack) == 1 else None
        ranked = []
        for position, ((widgets, size), action) in enumerate(zip(units, actions, strict=True)):
            rank: int
            if action in app_actions and action in _MODES and _MODES[action] == shown_mode:
                rank = -1
            elif action in app_actions and action in self.LEAST_USEFUL:
                rank = self.LEAST_USEFUL.index(action)
            elif getattr(widgets[0], "key", None) == "escape":
                rank = 1000  # the way back out, kept with the first keys
            else:
                rank = 1000 - position  # where you are: the first keys are the daily ones
            ranked.append((widgets, size, rank))
        return ranked


def _outer_width(widget: Widget) -> int:
    """The columns a footer key takes: its text, padding, border and margins."""
    styles = widget.styles
    return widget.get_content_width(_WIDE, _WIDE) + styles.gutter.width + styles.margin.width
