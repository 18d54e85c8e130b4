"""The import batches dialog: every import, newest first, and undoing one.

Each batch is listed with what it did, in the words of the import's summary; ``u``
undoes the highlighted one once asked (``ConfirmUndo``), through
``imports.undo_batch`` in one unit of work, as ``coalition imports undo`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from coalition.tui.jobs import JobModal
from coalition.tui.screens.confirm import ConfirmDialog

if TYPE_CHECKING:
    from coalition.domain.imports import BatchView


class ConfirmUndo(ConfirmDialog):
    """Asks before undoing an import batch; returns True for Undo (``y``), False for Keep
    (``n``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
    ]

    def __init__(self, batch: BatchView) -> None:
        super().__init__(
            f"Undo import batch #{batch.id} ({batch.file_name})?",
            "What it created is removed and what it changed is restored.",
            confirm="Undo",
            cancel="Keep",
        )


class ImportBatchesScreen(JobModal[None]):
    """Import batches, newest first; undo one after confirmation."""

    CSS_PATH = "import_batches.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="batches.close"),
        Binding("u", "undo", "Undo batch", id="batches.undo", tooltip="Take the whole batch back"),
        Binding("ctrl+r", "reload", "Reload", id="batches.reload", tooltip="Read the list again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[BatchView] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="batches-body"):
            yield Static(Text("Import batches", style="bold"), id="batches-title")
            yield DataTable(id="batches-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="batches-detail")
            yield Static(
                Text("u undoes the highlighted batch · Esc closes", style="dim"), id="batches-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "When", "By", "File", "What it did")
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load_batches()

    @work(thread=True, exclusive=True, group="batches", exit_on_error=False)
    def load_batches(self) -> None:
        from coalition.domain.imports import list_batches

        with self.coalition.database().read_session() as session:
            batches = list_batches(session)
        self.app.call_from_thread(self._show_batches, batches)

    def _show_batches(self, batches: list[BatchView]) -> None:
        from coalition.domain.values import local_time

        if not self.is_attached:
            return
        self.batches = batches
        table = self.query_one(DataTable)
        at = table.cursor_row
        table.clear()
        from coalition.domain.imports import count_summary  # loaded by now: batches came

        for b in batches:
            # In the words of the import's summary, only what it did; at 80 columns it is cut
            # short, and the line under the table gives the highlighted one in full.
            # An undone batch says so first, in the same cell: a column of its own, empty
            # until a batch is undone, was not always widened for the word.
            did = count_summary(b.counts, grouped=True) or "nothing"
            table.add_row(
                Text(str(b.id)),
                Text(local_time(b.created_at)),
                Text(b.coordinator),
                Text(b.file_name),
                Text(f"undone: {did}", style="dim") if b.undone_at else Text(did),
                key=str(b.id),
            )
        if batches:
            table.move_cursor(row=min(at, len(batches) - 1))
        title = Text("Import batches", style="bold")
        title.append(f"  {len(batches):,}" if batches else "  none yet", style="dim")
        self.query_one("#batches-title", Static).update(title)

    @on(DataTable.RowHighlighted, "#batches-table")
    def _show_detail(self) -> None:
        """The highlighted batch in full, under the table: its row is cut short at 80
        columns."""
        from coalition.domain.imports import count_summary  # loaded by now: batches came

        batch = self.highlighted
        text = Text()
        if batch is not None:
            text.append(f"#{batch.id} {batch.file_name}: ", style="bold")
            text.append(count_summary(batch.counts, grouped=True) or "nothing")
            text.append(".")
            if batch.undone_at is not None:
                from coalition.domain.values import local_time

                text.append(f" Undone {local_time(batch.undone_at)}.", style="dim")
        self.query_one("#batches-detail", Static).update(text)

    @property
    def highlighted(self) -> BatchView | None:
        table = self.query_one(DataTable)
        if not self.batches or not 0 <= table.cursor_row < len(self.batches):
            return None
        return self.batches[table.cursor_row]

    def action_undo(self) -> None:
        batch = self.highlighted
        if batch is None:
            return
        if batch.undone_at is not None:
            self.notify(
                f"Import batch #{batch.id} was already undone.", severity="warning", markup=False
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.undo(batch.id)

        self.app.push_screen(ConfirmUndo(batch), answered)

    @work(thread=True, exclusive=True, group="batches-undo", exit_on_error=False)
    def undo(self, batch_id: int) -> None:
        from coalition.domain.audit import work as unit_of_work
        from coalition.domain.imports import undo_batch

        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            batch = undo_batch(w, batch_id)
        self.app.call_from_thread(self._undone, batch)

    def _undone(self, batch: BatchView) -> None:
        self.notify(
            f"Undid import batch #{batch.id} ({batch.file_name}).", title="Undone", markup=False
        )
        self.load_batches()


def open_import_batches(app: App[Any]) -> None:
    """Show the import batches, to undo one."""
    app.push_screen(ImportBatchesScreen())
