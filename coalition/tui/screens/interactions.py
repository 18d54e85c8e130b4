"""The interactions logged with one organisation or contact: seeing, correcting, deleting.

``i`` on the Contacts and Organisations screens opens it on the highlighted record
(``open_interactions``, which the campaign screen can call too), newest first: date,
kind, direction, with whom, campaign, subject and follow-up (its day, or "done"), the
columns of least use left out on a narrow terminal; the line under the table gives the
highlighted one's subject, notes and outcome in full.

``e`` corrects it in the log dialog opened on it (``log_dialog.InteractionEditor``, which
saves only the fields changed), ``Delete`` deletes it once asked and ``d`` marks its open
follow-up done: ``outreach.edit_interaction``, ``delete_interaction`` and
``complete_followup``, each in one unit of work in a thread worker, as ``coalition
interaction edit|delete`` and ``coalition followup-done`` do. A refusal is a sentence: in
the form or the question (``confirm.ConfirmWrite``), which stay open, or in a
notification. After a change the list is read again, the cursor kept on the same
interaction (after a delete, on its neighbour); the screen below reads its detail again
as it comes back (``Esc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from coalition.domain.values import local_time
from coalition.tui.jobs import JobScreen, answer_write
from coalition.tui.screens.confirm import ConfirmWrite
from coalition.tui.screens.duplicates import PlainTable
from coalition.tui.screens.log_dialog import InteractionEditor, described
from coalition.tui.widgets.footer import Footer
from coalition.tui.widgets.lazy_table import Column, LazyTable

if TYPE_CHECKING:
    from textual.app import App

    from coalition.domain.audit import Work
    from coalition.domain.views import InteractionView

LIMIT = 500
"""Interactions listed at most, newest first."""

KINDS = ("organisation", "contact")


@dataclass(frozen=True)
class InteractionRow:
    """An interaction as the table shows it."""

    view: InteractionView

    @property
    def id(self) -> int:
        return self.view.id

    @property
    def when(self) -> str:
        return local_time(self.view.occurred_at)[:10]

    @property
    def channel(self) -> str:
        return self.view.channel

    @property
    def direction(self) -> str:
        return self.view.direction

    @property
    def party(self) -> str:
        return " / ".join(x for x in (self.view.contact, self.view.organisation) if x)

    @property
    def campaign(self) -> str | None:
        return self.view.campaign

    @property
    def subject(self) -> str | None:
        return self.view.subject

    @property
    def follow_up(self) -> str | None:
        if self.view.follow_up_on is None:
            return None
        return "done" if self.view.done else self.view.follow_up_on.isoformat()

    @property
    def coordinator(self) -> str:
        return self.view.coordinator


COLUMNS = [
    Column("when", "Date", 10, grow=0, priority=0, sortable=False),
    Column("channel", "Kind", 7, grow=0, priority=1, sortable=False),
    Column("direction", "Dir", 3, grow=0, priority=6, sortable=False),
    Column("party", "With", 16, grow=3, priority=3, sortable=False),
    Column("campaign", "Campaign", 12, grow=1, priority=5, sortable=False),
    Column("subject", "Subject", 16, grow=4, priority=2, sortable=False),
    Column("follow_up", "Follow-up", 10, grow=0, priority=4, sortable=False),
    Column("coordinator", "By", 8, grow=1, priority=7, sortable=False),
]
"""At 80 columns all but the direction and "By" (the line under the table gives both);
the campaign goes next when narrower."""


class InteractionsScreen(JobScreen):
    """The interactions with one organisation or contact, newest first: correct one,
    delete one, mark a follow-up done."""

    CSS_PATH = "interactions.tcss"
    AUTO_FOCUS = "#interactions-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "e",
            "edit",
            "Edit",
            id="interactions.edit",
            tooltip="Correct the highlighted interaction in a form",
        ),
        Binding(
            "d",
            "done",
            "Done",
            id="interactions.done",
            tooltip="Mark its open follow-up done",
        ),
        Binding(
            "delete",
            "delete",
            "Delete",
            id="interactions.delete",
            tooltip="Delete it and its follow-up, once asked (the change log keeps it)",
        ),
        Binding("escape", "close", "Close", id="interactions.close", tooltip="Back where you were"),
        # Not in the footer, for room (F1 lists it).
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="interactions.reload",
            tooltip="Read the list again",
            show=False,
        ),
    ]

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        super().__init__()
        self.kind = kind
        """Whose interactions: "organisation" or "contact"."""
        self.record_id = record_id
        self.record_name = name
        self.rows: list[InteractionRow] = []
        self.capped = False
        """More than ``LIMIT`` were logged: the newest are listed."""
        self.generation = 0
        """The latest reading asked for."""
        self.listed = -1
        """The reading shown (``generation`` once it has come)."""
        self.pinned: int | None = None
        """The interaction to keep the cursor on when the list comes again."""
        self.writing = False
        """A follow-up is being marked done: another key waits until it is."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="interactions-title")
        yield PlainTable(COLUMNS, empty_text="Reading…", id="interactions-table")
        with VerticalScroll(id="interactions-detail", can_focus=False):
            yield Static(id="interactions-detail-content")
        yield Footer()

    @property
    def table(self) -> PlainTable:
        return self.query_one("#interactions-table", PlainTable)

    @property
    def highlighted(self) -> InteractionView | None:
        row = self.table.current_row if self.is_mounted else None
        return row.view if isinstance(row, InteractionRow) else None

    def on_mount(self) -> None:
        self._show_title()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.listed >= 0:
            self.reload()  # a form or the log dialog may have changed them

    # --- reading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the list again, the cursor kept on the interaction it is on."""
        current = self.highlighted
        if current is not None and self.pinned is None:
            self.pinned = current.id
        self.generation += 1
        self.load(self.generation)

    @work(thread=True, exclusive=True, group="interactions", exit_on_error=False)
    def load(self, generation: int) -> None:
        from coalition.domain import outreach

        whose = {f"{self.kind}_id": self.record_id}
        with self.coalition.database().read_session() as session:
            views = outreach.interactions_of(session, limit=LIMIT + 1, **whose)
        self.app.call_from_thread(self._loaded, generation, views)

    def _loaded(self, generation: int, views: list[InteractionView]) -> None:
        if generation != self.generation or not self.is_attached:
            return
        self.listed = generation
        self.capped = len(views) > LIMIT
        table = self.table
        at = table.cursor
        self.rows = [InteractionRow(v) for v in views[:LIMIT]]
        if self.pinned is not None:
            at = next((n for n, r in enumerate(self.rows) if r.id == self.pinned), at)
            self.pinned = None
        table.empty_text = "Nothing logged with them yet: Ctrl+L logs an interaction."
        table.show(self.rows, at)
        self._show_title()
        self._show_detail()

    def _show_title(self) -> None:
        title = Text("Outreach with ", style="bold")
        title.append(self.record_name, style="bold")
        if self.listed < 0:
            title.append("  reading…", style="dim")
        elif self.capped:
            title.append(f"  the newest {LIMIT:,}", style="dim")
        else:
            count = len(self.rows)
            noun = "interaction" if count == 1 else "interactions"
            title.append(f"  {count:,} {noun}, newest first" if count else "  none", style="dim")
        self.query_one("#interactions-title", Static).update(title)

    @on(LazyTable.Highlighted, "#interactions-table")
    def _show_detail(self) -> None:
        """The highlighted one's subject, notes and outcome in full, under the table."""
        i = self.highlighted
        text = Text()
        if i is not None:
            text.append(i.subject or f"{i.channel} without a subject", style="bold")
            text.append(f"  #{i.id}, {i.direction}, logged by {i.coordinator}", style="dim")
            if i.follow_up_on is not None:
                state = "done" if i.done else "open"
                text.append(f"\nFollow up on {i.follow_up_on.isoformat()} ({state}).")
            if i.notes:
                text.append("\nNotes: ", style="bold")
                text.append(i.notes)
            if i.outcome:
                text.append("\nOutcome: ", style="bold")
                text.append(i.outcome)
            if not (i.notes or i.outcome):
                text.append("\nNo notes or outcome.", style="dim")
        self.query_one("#interactions-detail-content", Static).update(text)

    # --- changing one ---------------------------------------------------------------------

    def _chosen(self) -> InteractionView | None:
        """The highlighted interaction; None, with a warning saying so, when there is none
        or a change is on its way."""
        if self.writing:
            return None
        interaction = self.highlighted
        if interaction is None:
            self.notify("No interaction is highlighted.", severity="warning")
        return interaction

    def action_edit(self) -> None:
        interaction = self._chosen()
        if interaction is not None:
            # Saved or not, the list is read again as this screen comes back.
            self.app.push_screen(InteractionEditor(interaction))

    def action_delete(self) -> None:
        interaction = self._chosen()
        if interaction is None:
            return

        def delete(w: Work) -> str:
            from coalition.domain import outreach

            return f"Deleted {described(outreach.delete_interaction(w, interaction.id))}."

        question = ConfirmWrite(
            f"Delete {described(interaction)}?",
            "Its follow-up goes with it. Its record stays in the change log.",
            delete,
            confirm="Delete",
            done_title="Deleted",
        )
        # Deleted or not, the list is read again as this screen comes back.
        self.app.push_screen(question)

    def action_done(self) -> None:
        interaction = self._chosen()
        if interaction is None:
            return
        what = described(interaction)
        if interaction.follow_up_on is None:
            self.notify(f"{what[0].upper()}{what[1:]} has no follow-up.", markup=False)
        elif interaction.done:
            self.notify(f"The follow-up of {what} is already done.", markup=False)
        else:
            self.writing = True
            self.complete(interaction.id)

    @work(thread=True, exclusive=True, group="interactions-write", exit_on_error=False)
    def complete(self, interaction_id: int) -> None:
        from coalition.domain import outreach

        answer_write(
            self.coalition,
            lambda w: outreach.complete_followup(w, interaction_id),
            lambda view: self._completed(f"Follow-up of {described(view)} done."),
            lambda sentence: self._completed(sentence, refused=True),
        )

    def _completed(self, sentence: str, *, refused: bool = False) -> None:
        """Say what was done, or why it was refused; the list is read again either way (a
        refusal may come from a change made elsewhere meanwhile)."""
        self.writing = False
        if refused:
            self.notify(sentence, title="Could not do that", severity="error", markup=False)
        else:
            self.notify(sentence, title="Done", markup=False)
        if self.is_attached:
            self.reload()

    # --- other keys -----------------------------------------------------------------------

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss()

    # --- bookkeeping ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.listed != self.generation or self.writing

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            # Nothing more will come for what failed (reported by JobScreen): stop waiting.
            if event.worker.group == "interactions":
                self.listed = self.generation
                self._show_title()
            elif event.worker.group == "interactions-write":
                self.writing = False


def open_interactions(app: App[Any], kind: str, record_id: int, name: str) -> None:
    """Show the interactions logged with an organisation or a contact (``kind``), to
    correct, delete or mark one done; on that very list already, nothing happens. The
    campaign screen calls this for its highlighted organisation."""
    screen = app.screen
    if isinstance(screen, InteractionsScreen) and (screen.kind, screen.record_id) == (
        kind,
        record_id,
    ):
        return
    app.push_screen(InteractionsScreen(kind, record_id, name))
