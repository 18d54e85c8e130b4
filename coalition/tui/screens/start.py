"""The start screen: what needs doing today, how the campaigns stand, what changed.

An empty database shows what to do first instead. The overview is read in a
thread worker each time the screen is shown, so it is current after work done
elsewhere (another screen, or the command line beside the app).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from coalition.tui import clock
from coalition.tui.jobs import JobScreen

if TYPE_CHECKING:
    from coalition.domain.browse import Overview


def shown_path(path: Path) -> str:
    """``path`` as the title shows it: under the home folder as ``~/…`` (shorter at 80
    columns, and the same on every coordinator's machine)."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _safe(url: str) -> str:
    """A server's URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class StartScreen(JobScreen):
    """Follow-ups due, open campaigns, recent activity."""

    CSS_PATH = "start.tcss"

    class Loaded(Message):
        def __init__(self, overview: Overview, where: str) -> None:
            super().__init__()
            self.overview = overview
            self.where = where

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None
        """What is shown; None until the first overview has come."""
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Static(Text("coalition", style="bold"), id="start-title")
        with VerticalScroll(id="start-body"):
            yield Static(Text("Loading…", style="dim"), id="start-welcome")
            yield Static(id="start-followups")
            yield Static(id="start-campaigns")
            yield Static(id="start-activity")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_overview()

    def on_screen_resume(self) -> None:
        if self.overview is not None:
            self.refresh_overview()

    @property
    def busy(self) -> bool:
        return self._loading

    def refresh_overview(self) -> None:
        self._loading = True
        self.load_overview()

    @work(thread=True, exclusive=True, group="overview", exit_on_error=False)
    def load_overview(self) -> None:
        from coalition.domain.browse import overview

        db = self.coalition.database()
        with db.read_session() as session:
            result = overview(session, today=clock.today())
        self.post_message(self.Loaded(result, shown_path(db.path) if db.path else _safe(db.url)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._loading = False
        super().on_worker_state_changed(event)

    def on_start_screen_loaded(self, message: Loaded) -> None:
        from coalition.tui.widgets import render

        self._loading = False
        self.overview = overview = message.overview
        title = Text("coalition", style="bold")
        title.append(f"  {message.where}", style="dim")
        if not overview.empty:
            title.append(
                f"  ·  {overview.organisations:,} organisations, {overview.contacts:,} contacts",
                style="dim",
            )
        self.query_one("#start-title", Static).update(title)
        welcome = self.query_one("#start-welcome", Static)
        welcome.display = overview.empty
        if overview.empty:
            welcome.update(render.welcome())
        for part in ("followups", "campaigns", "activity"):
            self.query_one(f"#start-{part}", Static).display = not overview.empty
        if overview.empty:
            return
        self.query_one("#start-followups", Static).update(render.followups(overview))
        self.query_one("#start-campaigns", Static).update(
            render.campaigns(overview.open_campaigns, overview.draft_campaigns)
        )
        self.query_one("#start-activity", Static).update(render.activity(overview.recent))
