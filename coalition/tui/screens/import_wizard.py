"""The import wizard: a file, its columns, the plan, the batch.

One screen walks through the steps of ``coalition import``: choose a file (a
file browser that starts in ``imports/`` when the current folder has one, or a
typed path: typing in the browser goes to the path box), check and change the
column mapping, preview the plan, apply it, read the outcome. The same
interchange and domain functions do the work as on the command line
(``importer.open_source`` / ``options_for``, ``imports.rehearse`` for the preview,
``imports.import_records`` to import, which reads the file again as it was previewed),
each in a thread worker so the screen never freezes; their progress callback drives a
ProgressBar through ``call_from_thread``.

Reading and planning change nothing (a file of more than one window is previewed in a
transaction that is rolled back), so Esc abandons them: the worker is
cancelled, its progress callback raises at its next report, and anything it
still sends is dropped (every job carries a token and only the latest one is
shown). Applying is one transaction that commits once at its end, so once it
has started it is not interrupted; Esc then only says so. If the app closes
meanwhile, the batch still commits (or, on an error, leaves nothing).

The file browser and the field picker are in ``import_picker``, the rows of the
preview in ``import_preview``, the import batches (to undo one) in ``import_batches``.

The readers behind a file (openpyxl, python-calamine, the vCard parser) are
imported by ``interchange`` when a file is opened, in the worker: opening the
app or the wizard costs none of them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    DirectoryTree,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState, get_current_worker

from coalition.tui.jobs import JobScreen
from coalition.tui.screens.import_batches import ImportBatchesScreen
from coalition.tui.screens.import_picker import FieldPicker, ImportableFiles, start_folder
from coalition.tui.screens.import_preview import (
    ATTENTION_STYLES,
    Preview,
    Previewing,
    PreviewRow,
    reading,
)
from coalition.tui.widgets.buttons import ButtonRow
from coalition.tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coalition.domain.imports import BatchView, Outcome
    from coalition.interchange.importer import Source

APPLY_NOTE = (
    "The import is being written as one batch. It runs to its single commit and cannot be "
    "stopped now; undo the batch afterwards if you change your mind."
)


def summary(counts: dict[str, int]) -> str:
    """ "3 new contacts, 1 duplicate skipped, …": the plan's counts in words."""
    from coalition.domain.imports import count_summary  # loaded by now: a plan exists

    return count_summary(counts, grouped=True)


def records_phrase(n: int) -> str:
    """ "1 record", "12,000 records"."""
    from coalition.domain.imports import records_phrase as phrase  # loaded with the file

    return phrase(n)


class Abandoned(Exception):
    """Raised in a worker thread when its job was cancelled; nothing is reported."""


STEPS = (
    ("choose", "File"),
    ("map", "Columns"),
    ("plan", "Preview"),
    ("work", "Working"),
    ("done", "Done"),
)


class ImportWizard(JobScreen):
    """Import a CSV, XLSX, ODS or vCard file as one undoable batch."""

    CSS_PATH = "import_wizard.tcss"
    AUTO_FOCUS = "#wizard-tree"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="import.cancel",
            tooltip="Leave the wizard; nothing is imported before you press Import",
        ),
        Binding("ctrl+b", "back", "Back", id="import.back", tooltip="The step before"),
        Binding(
            "c", "change_field", "Change field", id="import.field", tooltip="What the column fills"
        ),
        Binding(
            "s",
            "choose_sheet",
            "Sheet",
            id="import.sheet",
            tooltip="Read another sheet of the workbook",
        ),
        Binding(
            "ctrl+n",
            "preview",
            "Preview",
            id="import.preview",
            tooltip="Plan the import; nothing changes",
        ),
        Binding("i", "apply", "Import", id="import.apply", tooltip="Write the plan as one batch"),
        Binding("b", "batches", "Batches", id="import.batches", tooltip="Import batches: undo one"),
    ]

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, folder: Path | None = None
    ) -> None:
        super().__init__()
        self.initial_path = Path(path) if path is not None else None
        self.folder = folder or start_folder()
        """Where the file browser starts."""
        self.step = "choose"
        """The step shown: choose, map, plan, work or done."""
        self.source: Source | None = None
        self.overrides: dict[int, str | None] = {}
        """Columns whose field the user chose (column index -> field, None to ignore)."""
        self.sheet: str | None = None
        """The sheet of a workbook to read; None for the first."""
        self.plan: Outcome | None = None
        self.shown: list[PreviewRow] = []
        """The rows of the plan in the preview table."""
        self.imported: BatchView | None = None
        """The batch written, once the import is done."""
        self.applying = False
        self._job = 0
        """Token of the latest reading or planning job; results of earlier ones are dropped."""
        self._column = 0
        """The column the mapping table's cursor is on after the file is read again."""
        self._return_to = "choose"
        """The step to go back to when the job running now is abandoned or fails."""
        self._chosen_path: str | None = None
        """The path the file list put in the path box (typing in the list replaces it)."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="wizard-title")
        with ContentSwitcher(initial="wizard-choose", id="wizard-steps"):
            with Vertical(id="wizard-choose"):
                yield Static(
                    Text(
                        "Choose a .csv, .xlsx, .ods or .vcf file below (Enter opens it), "
                        "or type its path.",
                        style="dim",
                    ),
                    classes="wizard-hint",
                )
                yield Input(  # not selected on focus: what the list passes on is kept
                    placeholder="Path of the file to import",
                    id="wizard-path",
                    compact=True,
                    select_on_focus=False,
                )
                yield ImportableFiles(self.folder, id="wizard-tree")
            with Vertical(id="wizard-map"):
                yield Static(id="wizard-file")
                with Horizontal(classes="wizard-options", id="wizard-sheet-row"):
                    yield Label("Sheet", classes="wizard-label")
                    yield Select[str](  # its options come with a workbook of several sheets
                        [(Text(""), "")], allow_blank=False, compact=True, id="wizard-sheet"
                    )
                yield DataTable(id="wizard-columns", cursor_type="row", zebra_stripes=True)
                with Horizontal(classes="wizard-options"):
                    yield Label("Campaign", classes="wizard-label")
                    yield Input(
                        placeholder="code, to record sign-ons", id="wizard-campaign", compact=True
                    )
                    yield Label("Tags", classes="wizard-label")
                    yield Input(
                        placeholder="tag everything imported", id="wizard-tags", compact=True
                    )
                with Horizontal(classes="wizard-options"):
                    yield Label("Already there", classes="wizard-label")
                    yield Select(
                        [
                            ("skip them", "skip"),
                            ("update from the file", "update"),
                            ("fill what is empty", "merge"),
                        ],
                        value="skip",
                        allow_blank=False,
                        compact=True,
                        id="wizard-duplicate",
                    )
                    yield Checkbox("Import again if imported before", id="wizard-force")
                with ButtonRow(classes="wizard-buttons"):
                    yield Button(
                        "Preview the plan", id="wizard-preview", variant="primary", compact=True
                    )
                    yield Button("Back", id="wizard-back-map", compact=True)
            with Vertical(id="wizard-plan"):
                yield Static(id="wizard-summary")
                yield DataTable(id="wizard-rows", cursor_type="row")
                yield Static(id="wizard-row-note")
                with ButtonRow(classes="wizard-buttons"):
                    yield Button("Import", id="wizard-apply", variant="success", compact=True)
                    yield Button("Back", id="wizard-back-plan", compact=True)
            with Vertical(id="wizard-work"):
                yield Static(id="wizard-stage")
                yield ProgressBar(id="wizard-progress", show_eta=False)
                yield Static(id="wizard-work-note")
            with Vertical(id="wizard-done"):
                yield Static(id="wizard-outcome")
                with ButtonRow(classes="wizard-buttons"):
                    yield Button("Close", id="wizard-close", variant="primary", compact=True)
                    yield Button("Import batches", id="wizard-open-batches", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        columns = self.query_one("#wizard-columns", DataTable)
        columns.add_columns("Column", "Imported as", "How", "Meaning")
        rows = self.query_one("#wizard-rows", DataTable)
        rows.add_columns("Row", "Action", "Name", "Note", "Organisation", "Email")
        self._show_step("choose")
        if self.initial_path is not None:
            self.query_one("#wizard-path", Input).value = str(self.initial_path)
            self.open_file(self.initial_path)

    def _show_step(self, step: str) -> None:
        self.step = step
        self.query_one("#wizard-steps", ContentSwitcher).current = f"wizard-{step}"
        title = Text("Import", style="bold")
        for key, name in STEPS:
            if key == "work" and step != "work":
                continue
            title.append("  ·  ", style="dim")
            title.append(name, style="bold reverse" if key == step else "dim")
        if self.source is not None:
            title.append(f"   {self.source.path.name}", style="dim")
        self.query_one("#wizard-title", Static).update(title)
        focus = {
            "choose": "#wizard-tree",
            "map": "#wizard-columns",
            "plan": "#wizard-rows",
            "done": "#wizard-close",
        }.get(step)
        if focus:
            self.query_one(focus).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer shows only the keys of the step on screen (letters do not work in a box
        # being typed in, so they are not shown then).
        letters = not isinstance(self.focused, Input)
        mapping = self.source is not None and self.source.mapping is not None
        wanted = {
            "back": self.step in ("map", "plan"),
            "change_field": self.step == "map" and mapping and letters,
            "choose_sheet": self.step == "map" and self.several_sheets and letters,
            "preview": self.step == "map",
            "apply": self.step == "plan" and letters,
            "batches": self.step == "done" and letters,
        }
        return wanted.get(action, True)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    # --- step 1: the file -------------------------------------------------------------------

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self._chosen_path = str(event.path)
        self.query_one("#wizard-path", Input).value = self._chosen_path
        self.overrides = {}
        self.sheet = None
        self._column = 0
        self.open_file(event.path)

    @on(ImportableFiles.Typed)
    def _typed_in_the_list(self, event: ImportableFiles.Typed) -> None:
        """Typing in the file list starts a path: in the box, a new one in place of the path
        of a file chosen in the list, else after what was typed there."""
        box = self.query_one("#wizard-path", Input)
        if box.value == self._chosen_path:
            box.value = ""
        box.focus()
        box.cursor_position = len(box.value)
        box.insert_text_at_cursor(event.character)

    @on(Input.Submitted, "#wizard-path")
    def _path_typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("Type the path of a file, or choose one below.", severity="warning")
            return
        self.overrides = {}
        self.sheet = None
        self._column = 0
        self.open_file(Path(os.path.expanduser(text)))

    def open_file(self, path: Path) -> None:
        """Read ``path`` (with the columns chosen so far) and show its mapping."""
        self._start_job("Reading " + path.name, total=None)
        self.read_file(self._job, path, dict(self.overrides), self.sheet)

    @work(thread=True, exclusive=True, group="import-read", exit_on_error=False)
    def read_file(
        self, job: int, path: Path, overrides: dict[int, str | None], sheet: str | None = None
    ) -> None:
        from coalition.errors import FileProblem
        from coalition.interchange import importer

        # A mail tool's status file is about emails, not people: read as people, it would
        # add or change contacts. The command line reads it for what it is. (Columns chosen
        # by hand say the file is read as people.)
        source = importer.open_import(
            path, overrides=overrides, sheet=sheet, statuses=not overrides
        )
        if isinstance(source, importer.StatusSource):
            raise FileProblem(
                f"{path.name} is a {source.tool.name}: what became of a mail merge, not a "
                f"list of people. Import it from the command line, which logs each email "
                f"and flags bounces: coalition import {path}"
            )
        source.records.counted()  # what the file holds, said before anything is planned
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_source, job, source)

    def _show_source(self, job: int, source: Source) -> None:
        if job != self._job or not self.is_attached:
            return
        self.source = source
        self.plan = None
        read = ", ".join(source.notes)
        about = Text(source.path.name, style="bold")
        about.append(f"  {records_phrase(source.records.count or 0)}", style="")
        if read:
            about.append(f" ({read})", style="dim")
        if source.problems:
            about.append(f"  {len(source.problems):,} could not be read", style="bold red")
        if reading(source):
            about.append(f"\n{reading(source)}")
        table = self.query_one("#wizard-columns", DataTable)
        table.clear()
        mapping = source.mapping
        if mapping is None:
            about.append(
                "\nvCards need no column mapping: each card's fields are read as they are."
            )
            table.display = False
        else:
            from coalition.interchange.mapping import FIELDS

            about.append("\nEnter or c on a column changes what it fills", style="dim")
            if len(source.sheets) > 1:
                about.append(f"; s reads another of its {len(source.sheets)} sheets", style="dim")
            about.append(".", style="dim")
            table.display = True
            for index, (header, target) in enumerate(
                zip(mapping.headers, mapping.targets, strict=True)
            ):
                base = (target or "ignore").partition(":")[0]
                how = mapping.source[index] or "not recognised"
                table.add_row(
                    Text(header or f"(column {index + 1})"),
                    Text(
                        target or "ignore", style="bold" if target and target != "ignore" else "dim"
                    ),
                    Text(how, style="bold" if how == "chosen" else "dim"),
                    Text(FIELDS.get(base, ""), style="dim"),
                    key=str(index),
                )
        self.query_one("#wizard-file", Static).update(about)
        self._show_sheets(source)
        self._show_step("map")
        if table.display and table.row_count:
            table.move_cursor(row=min(self._column, table.row_count - 1))

    @property
    def several_sheets(self) -> bool:
        """The file read is a workbook of more than one sheet."""
        return self.source is not None and len(self.source.sheets) > 1

    def _show_sheets(self, source: Source) -> None:
        """The sheet picker: shown for a workbook of several sheets, on the sheet read."""
        row = self.query_one("#wizard-sheet-row")
        row.display = len(source.sheets) > 1
        if not row.display:
            return
        picker = self.query_one("#wizard-sheet", Select)
        with picker.prevent(Select.Changed):
            picker.set_options([(Text(name), name) for name in source.sheets])
            picker.value = source.sheet if source.sheet in source.sheets else source.sheets[0]

    def action_choose_sheet(self) -> None:
        if self.step == "map" and self.several_sheets:
            picker = self.query_one("#wizard-sheet", Select)
            picker.focus()
            picker.expanded = True

    @on(Select.Changed, "#wizard-sheet")
    def _sheet_chosen(self, event: Select.Changed) -> None:
        source = self.source
        if source is None or not isinstance(event.value, str) or event.value == source.sheet:
            return
        # Another sheet has other columns: the columns chosen for this one do not carry over.
        self.sheet = event.value
        self.overrides = {}
        self._column = 0
        self.open_file(source.path)

    # --- step 2: the columns and options --------------------------------------------------

    @on(DataTable.RowSelected, "#wizard-columns")
    def _column_selected(self, event: DataTable.RowSelected) -> None:
        self.action_change_field()

    def action_change_field(self) -> None:
        if self.step != "map" or self.source is None or self.source.mapping is None:
            return
        table = self.query_one("#wizard-columns", DataTable)
        index = table.cursor_row
        mapping = self.source.mapping
        if not 0 <= index < len(mapping.headers):
            return

        def chosen(target: str | None) -> None:
            if target is None or self.source is None:
                return
            current = mapping.targets[index] or "ignore"
            if target == current:
                return
            self.overrides[index] = None if target == "ignore" else target
            self._column = index
            self.open_file(self.source.path)
            self._return_to = "map"

        self.app.push_screen(FieldPicker(mapping.headers[index], mapping.targets[index]), chosen)

    @on(Input.Submitted, "#wizard-campaign, #wizard-tags")
    @on(Button.Pressed, "#wizard-preview")
    def _preview_asked(self) -> None:
        self.action_preview()

    def action_preview(self) -> None:
        if self.step != "map" or self.source is None:
            return
        from coalition.text import split_values

        campaign = self.query_one("#wizard-campaign", Input).value.strip() or None
        tags = tuple(split_values(self.query_one("#wizard-tags", Input).value))
        duplicate = cast("str", self.query_one("#wizard-duplicate", Select).value)
        force = self.query_one("#wizard-force", Checkbox).value
        self._start_job("Planning", total=self.source.records.count or None)
        self.plan_rows(self._job, self.source, {
            "campaign": campaign, "tags": tags, "on_duplicate": duplicate, "force": force,
        })  # fmt: skip

    @work(thread=True, exclusive=True, group="import-plan", exit_on_error=False)
    def plan_rows(self, job: int, source: Source, choices: dict[str, Any]) -> None:
        from coalition.domain import imports
        from coalition.interchange import feed, importer

        worker = get_current_worker()

        def progress(stage: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Abandoned
            self.app.call_from_thread(self._progress, job, stage, done, total)

        options = importer.options_for(source, **choices)
        previewing = Previewing()
        coalition = self.coalition
        plan = imports.rehearse(
            coalition.database(), coalition.coordinator, feed.records(source), options,
            progress=progress, observe=previewing.add,
        )  # fmt: skip
        shown = previewing.done(source.problems)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_plan, job, plan, shown)

    def _show_plan(self, job: int, plan: Outcome, shown: Preview) -> None:
        if job != self._job or not self.is_attached or self.source is None:
            return
        self.plan = plan
        source = self.source
        counts = dict(plan.counts)
        if source.problems:
            counts["error"] = counts.get("error", 0) + len(source.problems)
        text = Text(f"{source.path.name}: {records_phrase(plan.rows)} — ", style="bold")
        text.append(summary(counts) or "nothing to do")
        text.append(".")
        if reading(source):
            text.append(f"\n{reading(source)}", style="")
        if plan.previous_batch is not None and not plan.options.force:
            text.append(
                f"\nAlready imported as batch #{plan.previous_batch}: tick “Import again” "
                "(Back) to import it again, or undo that batch first.",
                style="bold red",
            )
        if shown.total > len(shown.rows):
            text.append(
                f"\nShowing {len(shown.rows):,} of {shown.total:,} rows; the "
                f"{shown.needing_attention:,} that need attention come first.",
                style="dim",
            )
        elif shown.needing_attention:
            text.append(
                f"\n{shown.needing_attention:,} rows need attention; they come first.", style="dim"
            )
        text.append("\nNothing has changed yet: i imports, Esc leaves.", style="dim")
        self.query_one("#wizard-summary", Static).update(text)
        table = self.query_one("#wizard-rows", DataTable)
        table.clear()
        self.shown = shown.rows
        for row in shown.rows:
            style = ATTENTION_STYLES[row.attention]
            table.add_row(
                Text(row.source, style="dim"),
                Text(row.action, style=style),
                Text(row.name),
                Text(row.note, style=style if row.attention else "dim"),
                Text(row.organisation),
                Text(row.email),
            )
        self._show_step("plan")

    @on(DataTable.RowHighlighted, "#wizard-rows")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The whole note of the row under the cursor: the table's column is cut at 80 wide.
        at = event.cursor_row
        row = self.shown[at] if 0 <= at < len(self.shown) else None
        text = Text()
        if row is not None:
            text.append(f"{row.source}: ", style="bold")
            text.append(row.note or row.action, style=ATTENTION_STYLES[row.attention])
        self.query_one("#wizard-row-note", Static).update(text)

    # --- step 3: apply ----------------------------------------------------------------------

    @on(Button.Pressed, "#wizard-apply")
    def action_apply(self) -> None:
        if self.step != "plan" or self.plan is None:
            return
        plan = self.plan
        if plan.previous_batch is not None and not plan.options.force:
            self.notify(
                f"{plan.options.file_name} was already imported (batch #{plan.previous_batch}); "
                "go Back and tick “Import again” to import it again.",
                severity="error",
                markup=False,
            )
            return
        self.applying = True
        self._return_to = "plan"
        self._start_job("Importing", total=None, note=APPLY_NOTE)
        assert self.source is not None
        self.apply_plan(self._job, plan, self.source)

    @work(thread=True, group="import-apply", exit_on_error=False)
    def apply_plan(self, job: int, plan: Outcome, source: Source) -> None:
        from coalition.domain import imports
        from coalition.domain.audit import work as unit_of_work
        from coalition.interchange import feed

        def tell(callback: Any, *args: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the app closed: the batch still commits
                self.app.call_from_thread(callback, *args)

        def progress(stage: str, done: int, total: int) -> None:
            tell(self._progress, job, stage, done, total)

        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            # the file again, as previewed: planned and written under the write lock
            batch = imports.import_records(
                w, feed.records(source), plan.options, progress=progress
            ).batch
        assert batch is not None
        tell(self._show_done, job, batch)

    def _show_done(self, job: int, batch: BatchView) -> None:
        self.applying = False
        self.imported = batch
        if not self.is_attached:
            return
        text = Text(f"Imported {batch.file_name} as batch #{batch.id}.", style="bold")
        words = summary(batch.counts)
        if words:
            text.append(f"\n{words}.")
        text.append(
            f"\n\nTo take it back: Import batches (b), choose #{batch.id}, press u; "
            f"or `coalition imports undo {batch.id}`.",
            style="dim",
        )
        self.query_one("#wizard-outcome", Static).update(text)
        self.notify(
            f"Imported {batch.file_name} as batch #{batch.id}.", title="Import done", markup=False
        )
        self._show_step("done")

    # --- progress, jobs and leaving ---------------------------------------------------------

    def _start_job(self, what: str, total: int | None, note: str | None = None) -> None:
        if self.step != "work":
            self._return_to = self.step
        self._job += 1
        self.query_one("#wizard-stage", Static).update(Text(what + "…", style="bold"))
        self.query_one("#wizard-progress", ProgressBar).update(total=total, progress=0)
        self.query_one("#wizard-work-note", Static).update(
            Text(note or "Nothing changes until you press Import; Esc abandons this.", style="dim")
        )
        self._show_step("work")

    STAGES: ClassVar[dict[str, str]] = {
        "checking": "Checking the rows",
        "organisations": "Writing organisations",
        "contacts": "Writing contacts",
        "indexing": "Updating the search index",
    }

    def _progress(self, job: int, stage: str, done: int, total: int) -> None:
        if job != self._job or not self.is_attached:
            return
        label = self.STAGES.get(stage, stage.capitalize())
        self.query_one("#wizard-stage", Static).update(
            Text(f"{label}… {done:,} / {total:,}", style="bold")
        )
        self.query_one("#wizard-progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _abandon(self) -> None:
        """Drop the reading or planning job running now and go back a step."""
        self._job += 1
        for worker in self.workers_of("import-read", "import-plan"):
            worker.cancel()
        if self.source is not None:
            self.sheet = self.source.sheet
            self._show_sheets(self.source)
        self._show_step(self._return_to)

    def workers_of(self, *groups: str) -> list[Worker[Any]]:
        return [
            w
            for w in self.app.workers
            if w.node is self and w.group in groups and not w.is_finished
        ]

    def action_cancel(self) -> None:
        if self.applying:
            self.notify(APPLY_NOTE, title="Cannot stop now", severity="warning", markup=False)
        elif self.step == "work":
            self._abandon()
            self.notify("Abandoned; nothing was changed.", markup=False)
        else:
            self.dismiss()

    @on(Button.Pressed, "#wizard-back-map, #wizard-back-plan")
    def action_back(self) -> None:
        if self.step == "plan":
            self._show_step("map")
        elif self.step == "map":
            self._show_step("choose")

    @on(Button.Pressed, "#wizard-close")
    def _close(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#wizard-open-batches")
    def action_batches(self) -> None:
        self.app.push_screen(ImportBatchesScreen())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            if isinstance(event.worker.error, Abandoned):
                event.prevent_default()  # not reported (by JobScreen's handler, after this)
                return
            if event.worker.group == "import-apply":
                self.applying = False
            if event.worker.group == "import-read" and self.source is not None:
                self.sheet = self.source.sheet  # the sheet still shown, not the one refused
                self._show_sheets(self.source)
            if self.step == "work":
                self._show_step(self._return_to)

    @property
    def busy(self) -> bool:
        return bool(self.workers_of("import-read", "import-plan", "import-apply"))


# --- entry points for the app's bindings and command palette ------------------------------------


def open_import_wizard(app: App[Any], path: str | os.PathLike[str] | None = None) -> None:
    """Show the import wizard (on ``path`` when given, else at the file browser)."""
    app.push_screen(ImportWizard(path))
