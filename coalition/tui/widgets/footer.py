"""The footer: Textual's, rebuilt once for a burst of binding changes.

Textual's ``Footer`` rebuilds its keys (a dozen widgets, each styled) after every
change of the screen's bindings. Opening a screen changes them two or three times
within a few milliseconds (the screen resumes, its first widget takes the focus), and
each rebuild cost ~10 ms of the start screen's first frame. Here a change that comes
while a rebuild is already waiting joins it: the rebuild reads the bindings as they
are when it runs, so the keys shown are the same, built once.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _rebuild_waiting = False

    def bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_waiting:
            self._rebuild_waiting = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_waiting = False
        await self.recompose()
