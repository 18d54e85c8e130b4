"""Likely duplicates: pairs of contacts or organisations, best first, and the highlighted
pair side by side, field by field, as a merge would make it.

The list is ``duplicates.scan_duplicates``, read in a thread worker. A scan takes seconds
on a large database (6 s at 100,000 contacts), so it is not read again after each merge:
a merged or dismissed pair leaves the list at once, with every other pair that named the
record merged away, and ``Ctrl+R`` scans again.

The side by side view is ``merge.preview_merge`` for the highlighted pair, with the
record kept (the left one; ``x`` swaps) and the fields taken from the other (``t``),
read in its own worker when the cursor stops: the screen holds no merge rule of its own,
so what it shows is what ``coalition contact merge`` would show and do. Merging (``m``,
once asked, as a delete is) and "not a duplicate" (``n``) are the domain's ``merge_*``
and ``dismiss_pair``, each in one unit of work, as the command line does them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from coalition.errors import CoalitionError
from coalition.tui.jobs import JobScreen, answer_write
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.widgets.footer import Footer
from coalition.tui.widgets.lazy_table import MOVE_BINDINGS, Column, LazyTable

if TYPE_CHECKING:
    from textual.app import App

    from coalition.domain.duplicates import DuplicatePair, DuplicateScan
    from coalition.domain.merge import FieldMerge, MergePreview, MergeView

LIMIT = 500
"""Pairs listed at most, best first (a large database can have many thousands)."""

KINDS: tuple[str | None, ...] = (None, "contact", "organisation")
"""What ``k`` steps through: both kinds, contacts, organisations."""
SHOWN = {
    None: "contacts and organisations",
    "contact": "contacts",
    "organisation": "organisations",
}

PairKey = tuple[str, int, int]
"""(kind, lower id, higher id): one pair, whichever record is kept."""


def key_of(pair: DuplicatePair) -> PairKey:
    return (pair.kind, pair.ids[0], pair.ids[1])


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


# --- what the tables show ------------------------------------------------------------------


@dataclass(frozen=True)
class PairRow:
    """A pair as the list shows it: the record kept first."""

    pair: DuplicatePair
    keep: int
    """The id of the record kept (the left one)."""

    @property
    def other(self) -> int:
        a, b = self.pair.ids
        return b if self.keep == a else a

    @property
    def key(self) -> PairKey:
        return key_of(self.pair)

    def name_of(self, record_id: int) -> str:
        a, _ = self.pair.ids
        return self.pair.names[0] if record_id == a else self.pair.names[1]

    @property
    def score(self) -> int:
        return self.pair.score

    @property
    def what(self) -> str:
        return "contact" if self.pair.kind == "contact" else "org."

    @property
    def reason(self) -> str:
        return self.pair.reason

    @property
    def names(self) -> str:
        return f"#{self.keep} {self.name_of(self.keep)} / #{self.other} {self.name_of(self.other)}"


@dataclass(frozen=True)
class FieldRow:
    """One line of the side by side view: a field, or a sign-on of the other organisation."""

    name: str
    """The field's name as ``take`` knows it ("role"), or "sign-on:<campaign>"."""
    field: str
    kept: str
    other: str
    result: str
    notes: str
    """The value the merge writes into the kept record's notes, if any."""
    merge: FieldMerge | None = None


def field_rows(preview: MergePreview, taken: frozenset[str]) -> list[FieldRow]:
    rows = []
    for f in preview.fields:
        label = f.field.replace("_", " ")
        if f.field in taken:
            label = "✓ " + label
        notes = ""
        if f.to_notes:
            notes = (f.kept if f.winner == "other" else f.other) or ""
        rows.append(
            FieldRow(
                f.field,
                label,
                _one_line(f.kept),
                _one_line(f.other),
                _one_line(f.result),
                _one_line(notes),
                f,
            )
        )
    for s in preview.signons:
        rows.append(
            FieldRow(
                f"sign-on:{s.campaign}",
                f"sign-on {s.campaign}",
                s.kept or "",
                s.other,
                s.result,
                "",
            )
        )
    return rows


class PlainTable(LazyTable, inherit_bindings=False):
    """A ``LazyTable`` over a short list held whole: it moves, but does not sort (``s`` is
    the screen's Skip here, and the order is the list's own: best first, a form's)."""

    BINDINGS: ClassVar[list[BindingType]] = MOVE_BINDINGS

    def __init__(self, columns: list[Column], *, empty_text: str, id: str) -> None:
        super().__init__(columns, empty_text=empty_text, id=id)
        self.rows: list[Any] = []
        """Every row the table shows."""

    def show(self, rows: list[Any], cursor: int = 0) -> None:
        """Show ``rows``, the cursor on row ``cursor`` (kept within them)."""
        self.rows = rows
        self.reset(self.generation + 1, len(rows), rows)
        if rows:
            self.cursor = max(0, min(cursor, len(rows) - 1))

    def set_titles(self, titles: dict[str, str]) -> None:
        """New column titles (the ids of the records compared), laid out again."""
        self.columns = [
            Column(
                c.key,
                titles.get(c.key, c.title),
                c.min_width,
                c.grow,
                c.priority,
                c.justify,
                sortable=False,
            )
            for c in self.columns
        ]
        self._laid_out_for = -1
        self.refresh()

    def _header(self) -> Strip:
        # No sorting arrow: the order is not the user's to choose here.
        cells = [column.title for column, _ in self._widths]
        return self._line(cells, self._style("base") + self._style("lazy-table--header"))

    def render_line(self, y: int) -> Strip:
        if self.total == 0 and y == 1:  # across the table, not cut to the first column
            width = self._fit()
            style = self._style("base") + self._style("lazy-table--empty")
            return Strip([Segment(set_cell_size(self.empty_text, width), style)], width)
        return super().render_line(y)


PAIR_COLUMNS = [
    Column("score", "Score", 5, grow=0, priority=1, justify="right", sortable=False),
    Column("what", "Kind", 7, grow=0, priority=3, sortable=False),
    Column("reason", "Reason", 14, grow=2, priority=2, sortable=False),
    Column("names", "Pair: kept / merged into it", 26, grow=5, priority=0, sortable=False),
]

FIELD_COLUMNS = [
    Column("field", "Field", 12, grow=1, priority=0, sortable=False),
    Column("kept", "Kept", 12, grow=3, priority=1, sortable=False),
    Column("other", "Other", 12, grow=3, priority=2, sortable=False),
    Column("result", "Result", 12, grow=3, priority=3, sortable=False),
    Column("notes", "To notes", 9, grow=2, priority=4, sortable=False),
]


# --- the screen ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A preview asked for: one pair, the record kept, the fields taken from the other."""

    key: PairKey
    keep: int
    other: int
    taken: frozenset[str]


class DuplicatesScreen(JobScreen):
    """Likely duplicates, best first; the highlighted pair side by side, to merge or dismiss."""

    CSS_PATH = "duplicates.tcss"
    AUTO_FOCUS = "#dup-pairs"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]  # noqa: RUF012 (Screen declares it)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "m",
            "merge",
            "Merge",
            id="duplicates.merge",
            tooltip="Make the pair one record, keeping the left one, once asked",
        ),
        Binding("x", "swap", "Swap", id="duplicates.swap", tooltip="Keep the other record instead"),
        Binding(
            "t",
            "take",
            "Take",
            id="duplicates.take",
            tooltip="Take the highlighted field (Tab: the fields) from the other record; "
            "again gives it back",
        ),
        Binding("s", "skip", "Skip", id="duplicates.skip", tooltip="Leave this pair; the next one"),
        Binding(
            "n",
            "not_duplicate",
            "Not dup",
            id="duplicates.dismiss",
            tooltip="Two different records: never list this pair again",
        ),
        Binding(
            "k",
            "next_kind",
            "Kind",
            id="duplicates.kind",
            tooltip="Show contacts, organisations, or both",
        ),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="duplicates.reload",
            tooltip="Look for likely duplicates again",
        ),
        Binding("escape", "close", "Close", id="duplicates.close", tooltip="Back where you were"),
    ]

    def __init__(self, kind: str | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        """Which pairs are listed: "contact", "organisation", or both (None)."""
        self.pairs: list[DuplicatePair] = []
        self.scan: DuplicateScan | None = None
        self.generation = 0
        """The latest scan asked for."""
        self.listed = -1
        """The scan shown (``generation`` once it has come)."""
        self.swapped: set[PairKey] = set()
        """Pairs whose higher id is kept (``x``); the lower id is kept otherwise."""
        self.taken: dict[PairKey, frozenset[str]] = {}
        """Fields taken from the other record (``t``), by pair."""
        self.preview_wanted: Wanted | None = None
        self.preview_shown: Wanted | None = None
        self.preview: MergePreview | None = None
        """The preview shown (None: none, or it could not be read)."""
        self.takeable: frozenset[str] = frozenset()
        """The fields ``t`` may take for the pair shown (``merge.CONTACT_TAKEABLE`` …)."""
        self._fields_of: PairKey | None = None
        """The pair whose fields the table shows."""
        self._gone = 0
        """Pairs merged or dismissed since the scan (its total counted them)."""
        self._field_shown: FieldRow | None = None
        """The field the line under the table tells in full."""
        self._preview_timer: Timer | None = None
        self.writing = False
        """A merge or a dismissal is on its way: another waits until it is done."""
        self.asking = False
        """The question before a merge is open, or its answer is on its way here."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="dup-title")
        with Horizontal(id="dup-body"):
            yield PlainTable(
                PAIR_COLUMNS, empty_text="Looking for likely duplicates…", id="dup-pairs"
            )
            with Vertical(id="dup-preview"):
                yield Static(id="dup-heading")
                yield PlainTable(FIELD_COLUMNS, empty_text="", id="dup-fields")
                yield Static(id="dup-field")
                yield Static(id="dup-moves")
        yield Footer()

    @property
    def pairs_table(self) -> PlainTable:
        return self.query_one("#dup-pairs", PlainTable)

    @property
    def fields_table(self) -> PlainTable:
        return self.query_one("#dup-fields", PlainTable)

    @property
    def current(self) -> PairRow | None:
        """The highlighted pair."""
        row = self.pairs_table.current_row if self.is_mounted else None
        return row if isinstance(row, PairRow) else None

    def on_mount(self) -> None:
        self._show_title()
        self.start_scan()

    # --- the list -------------------------------------------------------------------------

    def start_scan(self) -> None:
        self.generation += 1
        self._show_title()
        self.scan_pairs(self.generation, self.kind)

    @work(thread=True, exclusive=True, group="dup-scan", exit_on_error=False)
    def scan_pairs(self, generation: int, kind: str | None) -> None:
        from coalition.domain.duplicates import scan_duplicates

        with self.coalition.database().read_session() as session:
            scan = scan_duplicates(session, kind, LIMIT)
        self.app.call_from_thread(self._scanned, generation, scan)

    def _scanned(self, generation: int, scan: DuplicateScan) -> None:
        if generation != self.generation or not self.is_attached:
            return
        self.listed = generation
        self.scan = scan
        keep = self.current
        self.pairs = list(scan.pairs)
        at = 0
        if keep is not None:
            at = next((i for i, p in enumerate(self.pairs) if key_of(p) == keep.key), 0)
        self.pairs_table.empty_text = "No likely duplicates."
        self._show_pairs(at)
        if scan.capped:
            big = scan.capped[0]
            others = len(scan.capped) - 1
            more = f" (and {others} more such group{'s' if others > 1 else ''})" if others else ""
            self.notify(
                f"{big.members:,} {big.kind}s share {big.what}{more}: only the first "
                f"{big.listed} pairs of each such group are listed.",
                severity="warning",
                markup=False,
            )

    def _show_pairs(self, cursor: int) -> None:
        rows = [PairRow(p, p.ids[1] if key_of(p) in self.swapped else p.ids[0]) for p in self.pairs]
        self.pairs_table.show(rows, cursor)
        self._show_title()
        self._want_preview()  # now, not when the table's message comes: nothing waits unseen
        self.refresh_bindings()

    def _show_title(self) -> None:
        title = Text("Likely duplicates", style="bold")
        if self.listed != self.generation:
            title.append("  looking…", style="dim")
        else:
            count = len(self.pairs)
            total = (self.scan.total if self.scan else count) - self._gone
            if count < total:
                title.append(f"  best {count:,} of {total:,}", style="dim")
            else:
                title.append(f"  {count:,} pair{'' if count == 1 else 's'}", style="dim")
        title.append(f"  ·  {SHOWN[self.kind]}", style="dim")
        self.query_one("#dup-title", Static).update(title)

    # --- the side by side view ------------------------------------------------------------

    @on(LazyTable.Highlighted, "#dup-pairs")
    def _pair_highlighted(self) -> None:
        self._want_preview()

    @on(LazyTable.Highlighted, "#dup-fields")
    def _field_highlighted(self) -> None:
        self._show_field()

    def _wanted_now(self) -> Wanted | None:
        """The preview the highlighted pair needs."""
        row = self.current
        if row is None:
            return None
        return Wanted(row.key, row.keep, row.other, self.taken.get(row.key, frozenset()))

    def _want_preview(self) -> None:
        wanted = self._wanted_now()
        if wanted is None:
            self._stop_preview_timer()
            self.preview_wanted = None
            self._show_preview(None, None, None)  # what to do instead, once the scan is in
            return
        if wanted == self.preview_wanted:
            return
        self.preview_wanted = wanted
        self._stop_preview_timer()
        # Holding an arrow key passes many pairs; read the one the cursor stops on.
        self._preview_timer = self.set_timer(0.05, self._preview_due)

    def _stop_preview_timer(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None

    def _preview_due(self) -> None:
        self._preview_timer = None
        if self.preview_wanted is not None:
            self.load_preview(self.preview_wanted)

    @work(thread=True, exclusive=True, group="dup-preview", exit_on_error=False)
    def load_preview(self, wanted: Wanted) -> None:
        from coalition.domain.merge import CONTACT_TAKEABLE, ORGANISATION_TAKEABLE, preview_merge

        kind = wanted.key[0]
        takeable = CONTACT_TAKEABLE if kind == "contact" else ORGANISATION_TAKEABLE
        try:
            with self.coalition.database().read_session() as session:
                preview = preview_merge(
                    session, kind, f"#{wanted.keep}", f"#{wanted.other}", sorted(wanted.taken)
                )
        except CoalitionError as error:
            self.app.call_from_thread(self._show_preview, wanted, None, str(error))
            return
        self.app.call_from_thread(self._show_preview, wanted, preview, None, frozenset(takeable))

    def _show_preview(
        self,
        wanted: Wanted | None,
        preview: MergePreview | None,
        problem: str | None,
        takeable: frozenset[str] = frozenset(),
    ) -> None:
        if wanted != self.preview_wanted or not self.is_attached:
            return
        self.preview_shown = wanted
        self.preview = preview
        self.takeable = takeable
        heading = self.query_one("#dup-heading", Static)
        table = self.fields_table
        moves = self.query_one("#dup-moves", Static)
        table.display = preview is not None
        if preview is None or wanted is None:
            table.show([])
            if problem:
                heading.update(Text(problem, style="bold red"))
            elif self.listed == self.generation:
                heading.update(
                    Text("Ctrl+R looks again; k shows contacts, organisations or both.", "dim")
                )
            else:
                heading.update("")
            moves.update("")
            self._show_field()
            return
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Keep ", style="dim")
        line.append(f"#{preview.kept_id} {preview.kept}", style="bold")
        line.append("  ←  merge in and delete ", style="dim")
        line.append(f"#{preview.other_id} {preview.other}")
        heading.update(line)
        table.set_titles({"kept": f"#{preview.kept_id} kept", "other": f"#{preview.other_id}"})
        before = table.current_row
        rows = field_rows(preview, wanted.taken)
        at = None
        if isinstance(before, FieldRow) and self._fields_of == wanted.key:  # the same pair
            at = next((i for i, r in enumerate(rows) if r.name == before.name), None)
        if at is None:  # the first value that would go to the notes: likely the one to take
            conflicts = (
                i
                for i, r in enumerate(rows)
                if r.merge and r.merge.to_notes and r.name in self.takeable
            )
            at = next(conflicts, 0)
        self._fields_of = wanted.key
        table.show(rows, at)
        said = Text()
        if preview.moves:
            moved = ", ".join(f"{what} {n}" for what, n in preview.moves.items())
            said.append(f"Moves to #{preview.kept_id}: {moved}.")
        moves.update(said)
        self._show_field()

    def _show_field(self) -> None:
        """The highlighted field in full, under the table (its cells are cut at 80 columns)."""
        shown = self.query_one("#dup-field", Static)
        row = self.fields_table.current_row
        self._field_shown = row
        preview = self.preview
        if not isinstance(row, FieldRow) or preview is None:
            shown.update("")
            return
        kept, other = f"#{preview.kept_id}", f"#{preview.other_id}"
        text = Text()
        text.append(row.field.removeprefix("✓ "), style="bold")
        text.append(f": {kept} ", style="dim")
        text.append(row.kept or "—")
        text.append(f" · {other} ", style="dim")
        text.append(row.other or "—")
        text.append(" → ", style="dim")
        text.append(row.result or "—")
        if not row.result.endswith("."):
            text.append(".")
        f = row.merge
        if f is None:
            text.append(" The further status wins.", style="dim")
        elif row.name in self.preview_taken:
            text.append(f" Taken from {other}", style="dim")
            if f.to_notes:
                text.append(f"; {kept}'s goes to the notes", style="dim")
            text.append(". t gives it back.", style="dim")
        elif f.to_notes:
            text.append(f" {other}'s goes to the notes.", style="dim")
            if row.name in self.takeable:
                text.append(f" t takes {other}'s.", style="dim")
        shown.update(text)

    @property
    def preview_taken(self) -> frozenset[str]:
        return self.preview_shown.taken if self.preview_shown else frozenset()

    # --- actions --------------------------------------------------------------------------

    def _highlighted_pair(self) -> PairRow | None:
        row = self.current
        if row is None:
            self.notify("No pair is highlighted.", severity="warning")
        return row

    def action_swap(self) -> None:
        row = self._highlighted_pair()
        if row is None:
            return
        self.swapped ^= {row.key}
        self.taken.pop(row.key, None)  # taken from the other: the other is now kept
        self._show_pairs(self.pairs_table.cursor)

    def action_take(self) -> None:
        row = self.current
        preview = self.preview
        field = self.fields_table.current_row
        if row is None or preview is None or self.preview_shown is None:
            return
        if self.preview_shown.key != row.key or not isinstance(field, FieldRow):
            return  # the preview of this pair is on its way
        other = f"#{preview.other_id}"
        label = field.field.removeprefix("✓ ")
        taken = self.taken.get(row.key, frozenset())
        f = field.merge
        problem = None
        if field.name in taken:
            taken -= {field.name}
        elif f is None:
            problem = "A sign-on is not taken: of the two, the further status wins."
        elif field.name not in self.takeable:
            problem = f"The {label} of both records are kept: there is nothing to take."
        elif f.other is None:
            problem = f"{other} has no {label} to take."
        elif f.winner == "same":
            problem = f"Both records have the same {label}."
        elif f.winner == "other":
            problem = f"The {label} comes from {other} already: #{preview.kept_id} has none."
        else:
            taken |= {field.name}
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        self.taken[row.key] = taken
        self._want_preview()

    def action_skip(self) -> None:
        table = self.pairs_table
        if self._highlighted_pair() is None:
            return
        if table.cursor >= len(table.rows) - 1:
            self.notify("That is the last pair; Ctrl+R looks again.", markup=False)
            return
        table.action_cursor_down()

    def action_next_kind(self) -> None:
        self.set_kind(KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)])

    def set_kind(self, kind: str | None) -> None:
        """List pairs of ``kind`` ("contact", "organisation"; None: both), scanning again."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if kind == self.kind and self.listed == self.generation:
            return
        self.kind = kind
        self.pairs = []
        self._gone = 0
        self.pairs_table.empty_text = "Looking for likely duplicates…"
        self._show_pairs(0)
        self.start_scan()

    def action_reload(self) -> None:
        self._gone = 0
        self.start_scan()

    def action_close(self) -> None:
        self.dismiss(None)

    # --- merging and dismissing -----------------------------------------------------------

    def action_merge(self) -> None:
        row = self._highlighted_pair()
        if row is None or self.writing:
            return
        taken = self.taken.get(row.key, frozenset())
        preview = self.preview if self.preview_shown and self.preview_shown.key == row.key else None
        self.asking = True
        self.app.push_screen(
            ConfirmMerge(row, sorted(taken), preview),
            lambda yes: self._merge_answered(row, taken, yes),
        )

    def _merge_answered(self, row: PairRow, taken: frozenset[str], yes: bool | None) -> None:
        self.asking = False
        if yes and not self.writing:
            self.writing = True
            self.merge_pair(row, taken)

    @work(thread=True, exclusive=True, group="dup-write", exit_on_error=False)
    def merge_pair(self, row: PairRow, taken: frozenset[str]) -> None:
        from coalition.domain import merge

        join = merge.merge_contacts if row.pair.kind == "contact" else merge.merge_organisations
        answer_write(
            self.coalition,
            lambda w: join(w, f"#{row.keep}", f"#{row.other}", take=sorted(taken)),
            lambda view: self._merged(row, view),
            lambda sentence: self._refused(sentence, "Could not merge"),
        )

    def _merged(self, row: PairRow, view: MergeView) -> None:
        self.writing = False
        self.app.notify(
            view.sentence(),
            title="Merged",
            markup=False,
        )
        # The pair goes, and every other pair that named the record merged away.
        kind = row.pair.kind
        self._drop(lambda p: p.kind == kind and view.other_id in p.ids)

    def action_not_duplicate(self) -> None:
        row = self._highlighted_pair()
        if row is None or self.writing:
            return
        self.writing = True
        self.dismiss_pair(row)

    @work(thread=True, exclusive=True, group="dup-write", exit_on_error=False)
    def dismiss_pair(self, row: PairRow) -> None:
        from coalition.domain import duplicates

        a, b = row.pair.ids
        answer_write(
            self.coalition,
            lambda w: duplicates.dismiss_pair(w, row.pair.kind, a, b),
            lambda _: self._dismissed(row),
            lambda sentence: self._refused(sentence, "Could not mark it"),
        )

    def _dismissed(self, row: PairRow) -> None:
        self.writing = False
        (a, b), (name_a, name_b) = row.pair.ids, row.pair.names
        plural = "Contacts" if row.pair.kind == "contact" else "Organisations"
        self.app.notify(
            f"{plural} #{a} {name_a} and #{b} {name_b} are marked as not a duplicate; "
            "they are not listed again.",
            title="Not a duplicate",
            markup=False,
        )
        self._drop(lambda p: key_of(p) == row.key)

    def _drop(self, gone: Any) -> None:
        """Take the pairs ``gone`` says off the list; the cursor stays where it was, on the
        pair that came next."""
        table = self.pairs_table
        at = table.cursor
        before = len(self.pairs)
        above = sum(1 for p in self.pairs[:at] if gone(p))
        self.pairs = [p for p in self.pairs if not gone(p)]
        self._gone += before - len(self.pairs)
        if self.is_attached:
            self._show_pairs(at - above)

    def _refused(self, message: str, title: str) -> None:
        self.writing = False
        self.app.notify(message, title=title, severity="error", markup=False)

    # --- bookkeeping ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer shows what can be done to a pair only while there is one.
        if action in ("merge", "swap", "take", "skip", "not_duplicate"):
            return self.is_mounted and bool(self.pairs_table.rows)
        return True

    @property
    def busy(self) -> bool:
        if not self.is_mounted:
            return True
        return bool(
            self.listed != self.generation
            or self._preview_timer is not None
            or self.preview_wanted != self.preview_shown
            or self._wanted_now() != self.preview_wanted  # the cursor moved: a message is due
            or self.fields_table.current_row is not self._field_shown
            or self.writing
            or (self.asking and self.app.screen is self)  # answered: the answer comes next
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            # Nothing more will come for what failed: stop waiting for it.
            group = event.worker.group
            if group == "dup-scan":
                self.listed = self.generation
            elif group == "dup-preview":
                self.preview_shown = self.preview_wanted
            elif group == "dup-write":
                self.writing = False


# --- the question before a merge ---------------------------------------------------------------


class ConfirmMerge(ConfirmDialog):
    """Asks before merging a pair, as ``ConfirmDelete`` does before a delete (a merge deletes
    the other record): Cancel has the focus. Returns True for Merge."""

    def __init__(self, row: PairRow, taken: list[str], preview: MergePreview | None) -> None:
        kept, other = f"#{row.keep}", f"#{row.other}"
        question = f"Merge {other} {row.name_of(row.other)} into {kept} {row.name_of(row.keep)}?"
        what = f"{other} is deleted; everything it holds moves to {kept}"
        if preview is not None and preview.moves:
            what += " (" + ", ".join(f"{k} {n}" for k, n in preview.moves.items()) + ")"
        what += "."
        if taken:
            what += f" Taken from {other}: {', '.join(t.replace('_', ' ') for t in taken)}."
        if preview is not None and preview.notes:
            what += f" What {other} holds that loses goes into the notes of {kept}."
        what += " `coalition merges undo` takes it back."
        super().__init__(question, what, confirm="Merge")


# --- the app's way in --------------------------------------------------------------------------


def open_duplicates(app: App[Any], kind: str | None = None) -> None:
    """Show the likely duplicates (of ``kind``: "contact", "organisation"; None: both); on
    the duplicates screen already, show that kind there."""
    screen = app.screen
    if isinstance(screen, DuplicatesScreen):
        screen.set_kind(kind)
    else:
        app.push_screen(DuplicatesScreen(kind))
