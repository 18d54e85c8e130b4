"""The start screen: what needs doing today, how the campaigns stand, what changed.

An empty database shows what to do first instead. The overview is read in a
thread worker each time the screen is shown, so it is current after work done
elsewhere (another screen, or the command line beside the app). The first time,
before the app has opened the database, it is read with sqlite3 alone
(``domain.glance``), so the screen fills without waiting for SQLAlchemy to load.

The follow-ups due are a list to work through: ``d`` marks the highlighted one
done, ``p`` moves it a week on, ``Enter`` opens the person or organisation,
and ``Ctrl+L`` logs the interaction with them (which closes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from coalition.errors import CoalitionError
from coalition.tui import clock
from coalition.tui.jobs import JobScreen
from coalition.tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coalition.domain.views import InteractionView, Overview


def shown_path(path: Path) -> str:
    """``path`` as the title shows it: under the home folder as ``~/…`` (shorter at 80
    columns, and the same on every coordinator's machine)."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class FollowUpList(OptionList):
    """The follow-ups due, one per line, to mark done, move on or open.

    Its keys (and the screen's d and p) are offered, in the footer too, only while it
    lists one: not while the screen is being read, nor when nothing is due."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "screen.followup_done", "Done", id="start.done", tooltip="Mark it done"),
        Binding(
            "p", "screen.postpone", "In a week", id="start.postpone", tooltip="Follow up in 7 days"
        ),
        Binding("enter", "select", "Open", id="start.open", tooltip="Open the person or org"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return self.option_count > 0
        return True


class StartScreen(JobScreen):
    """Follow-ups due, open campaigns, recent activity."""

    CSS_PATH = "start.tcss"
    AUTO_FOCUS = "#start-followups-list"
    """From the start, so d, p and Enter work on the follow-ups as soon as they show."""

    class Changed(Message):
        """A follow-up was marked done or moved (in a worker), or refused: say so."""

        def __init__(self, interaction_id: int, sentence: str, refused: bool = False) -> None:
            super().__init__()
            self.interaction_id = interaction_id
            self.sentence = sentence
            self.refused = refused

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
        self._shown: dict[str, InteractionView] = {}
        """The follow-ups listed, by their option's id."""
        self._pending: set[int] = set()
        """Follow-ups being marked done or moved: off the list already, being written."""

    def compose(self) -> ComposeResult:
        yield Static(Text("coalition", style="bold"), id="start-title")
        with VerticalScroll(id="start-body"):
            yield Static(id="start-erasures")
            yield Static(Text("Loading…", style="dim"), id="start-welcome")
            yield Static(id="start-followups")
            yield FollowUpList(id="start-followups-list")  # empty: no height until filled
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
        return self._loading or bool(self._pending)

    @property
    def followup_list(self) -> FollowUpList:
        return self.query_one("#start-followups-list", FollowUpList)

    @property
    def highlighted_followup(self) -> InteractionView | None:
        """The follow-up the list's cursor is on, if the list shows any."""
        listed = self.followup_list
        option = listed.highlighted_option if listed.display else None
        return None if option is None or option.id is None else self._shown.get(option.id)

    def refresh_overview(self) -> None:
        self._loading = True
        self.load_overview()

    def others_changed(self) -> None:
        """Another program changed the database: the follow-ups, campaigns and activity
        are read again, the cursor kept on the follow-up it was on (not while one is
        being marked done or moved: its own reading follows)."""
        if self.overview is not None and not self._pending:
            self.refresh_overview()

    @work(thread=True, exclusive=True, group="overview", exit_on_error=False)
    def load_overview(self) -> None:
        if not self.coalition.database_open:
            # The first look, before anything has imported SQLAlchemy: read with sqlite3
            # alone, then open the database (imports, schema check) while it is read.
            from coalition.domain.glance import first_look

            look = first_look(self.coalition.db_target, today=clock.today())
            if look is not None:
                where = look.where
                shown = shown_path(where) if isinstance(where, Path) else where
                self.post_message(self.Loaded(look.overview, shown))
                self.coalition.database()
                return
        from coalition.domain.browse import overview
        from coalition.store.where import shown_url

        db = self.coalition.database()
        with db.read_session() as session:
            result = overview(session, today=clock.today())
        self.post_message(
            self.Loaded(result, shown_path(db.path) if db.path else shown_url(db.url))
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("followup_done", "postpone"):
            return self.highlighted_followup is not None
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._loading = False
            if event.worker.group == "followup":
                self._pending.clear()  # a bug, reported: show what the database holds
                self.refresh_overview()

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
        self._show_erasures(overview.pending_erasures)
        welcome = self.query_one("#start-welcome", Static)
        welcome.display = overview.empty
        if overview.empty:
            welcome.update(render.welcome())
        for part in ("followups", "campaigns", "activity"):
            self.query_one(f"#start-{part}", Static).display = not overview.empty
        if overview.empty:
            self.followup_list.display = False
            return
        self._show_followups(overview)
        self.query_one("#start-campaigns", Static).update(
            render.campaigns(overview.open_campaigns, overview.draft_campaigns)
        )
        self.query_one("#start-activity", Static).update(render.activity(overview.recent))

    def _show_erasures(self, pending: int) -> None:
        """An erasure not finished is said first: what was erased may still be in the file
        (as every command of the command line says it)."""
        warning = self.query_one("#start-erasures", Static)
        warning.display = bool(pending)
        if pending:
            noun = "erasure is" if pending == 1 else "erasures are"
            text = Text(f"{pending} {noun} not finished", style="bold red")
            text.append(
                ": what was erased may still be in the database file. Quit the app (Ctrl+Q) "
                "and run coalition person erase --finish."
            )
            warning.update(text)

    # --- the follow-ups due ------------------------------------------------------------------

    def _show_followups(self, overview: Overview) -> None:
        from coalition.tui.widgets import render

        self.query_one("#start-followups", Static).update(render.followups_heading(overview))
        listed = self.followup_list
        kept = listed.highlighted
        items = [item for item in overview.followups if item.id not in self._pending]
        self._shown = {str(item.id): item for item in items}
        listed.clear_options()
        listed.add_options(
            Option(render.followup_line(item, overview.today), id=str(item.id)) for item in items
        )
        listed.display = bool(items)
        if items:
            # Where the cursor was (the next one, after marking one done), else the first.
            listed.highlighted = min(kept or 0, len(items) - 1)
        self.refresh_bindings()  # d, p and Enter: offered while there is one to act on

    def action_followup_done(self) -> None:
        self._change(None)

    def action_postpone(self) -> None:
        self._change("+7")

    def _change(self, until: str | None) -> None:
        """Take the highlighted follow-up off the list at once (the cursor on the next, so
        d pressed three times does three) and write the change in a worker."""
        item = self.highlighted_followup
        if item is None or item.id in self._pending:
            return
        self._pending.add(item.id)
        listed = self.followup_list
        at = listed.highlighted or 0
        listed.remove_option(str(item.id))
        if listed.option_count:
            listed.highlighted = min(at, listed.option_count - 1)
        self.refresh_bindings()
        self.change_followup(item, until)

    @work(thread=True, group="followup", exit_on_error=False)
    def change_followup(self, item: InteractionView, until: str | None) -> None:
        from coalition.domain import outreach
        from coalition.domain.audit import work as unit_of_work
        from coalition.tui.widgets.render import party

        coalition = self.coalition
        try:
            with unit_of_work(coalition.database(), coalition.coordinator) as w:
                if until is None:
                    outreach.complete_followup(w, item.id)
                else:
                    moved = outreach.postpone_followup(w, item.id, until, today=clock.today())
        except CoalitionError as error:  # deleted meanwhile, say: it comes back, or goes
            self.post_message(self.Changed(item.id, str(error), refused=True))
            return
        who = party(item).plain
        if until is None:
            sentence = f"Follow-up with {who} done."
        else:
            assert moved.follow_up_on is not None
            sentence = f"Follow-up with {who} moved to {moved.follow_up_on:%a %d %b}."
        self.post_message(self.Changed(item.id, sentence))

    def on_start_screen_changed(self, message: Changed) -> None:
        self._pending.discard(message.interaction_id)
        if message.refused:
            self.notify(message.sentence, severity="error", markup=False)
        else:
            self.notify(message.sentence, markup=False)
        if not self._pending:
            self.refresh_overview()  # the counts, and what others changed meanwhile

    @on(OptionList.OptionSelected, "#start-followups-list")
    async def _open(self, event: OptionList.OptionSelected) -> None:
        item = self.highlighted_followup
        if item is None:
            return
        if item.contact_id is not None and item.contact:
            await self.coalition.go_to("contact", item.contact_id, item.contact)
        elif item.organisation_id is not None and item.organisation:
            await self.coalition.go_to("organisation", item.organisation_id, item.organisation)
