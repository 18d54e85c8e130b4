"""Contacts and Organisations: a searchable, sortable table and a detail pane.

Typing in the search box starts a new *listing* after a short pause (the
debounce): a thread worker reads its first page and count through
``domain.browse`` and the table is reset with them. The table asks for more
rows as the view moves (``LazyTable.RowsWanted``), which another worker
fetches. Each listing has a generation number, so pages and results of an
earlier search that arrive late are dropped rather than shown.

The detail pane follows the highlighted row, read in its own worker, and
keeps only the answer for the row still highlighted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from coalition.tui.jobs import JobScreen
from coalition.tui.screens.filters import Filters, filter_bar
from coalition.tui.widgets.footer import Footer
from coalition.tui.widgets.lazy_table import Column, LazyTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session
    from textual.screen import ModalScreen

    from coalition.domain.browse import Page


class BrowseScreen(JobScreen):
    """A listing of records with live search, sorting and a detail pane."""

    CSS_PATH = "browse.tcss"
    AUTO_FOCUS = "#browse-table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Screen declares it)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="browse.search", tooltip="Type to search"),
        Binding("escape", "leave_search", "Results", id="browse.results"),
        Binding("down", "leave_search", "Results", show=False),
        # Not in the footer, which has no room for it at 80 columns; F1 lists it.
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="browse.reload",
            tooltip="Read the list again",
            show=False,
        ),
        Binding("n", "new_record", "New", id="browse.new", tooltip="Add one in a form"),
        Binding("e", "edit_record", "Edit", id="browse.edit", tooltip="Edit the highlighted one"),
        # Not in the footer, where it would push the organisations' Sign-on out at 80
        # columns (F1 lists it).
        Binding(
            "i",
            "interactions",
            "Outreach",
            id="browse.interactions",
            tooltip="The interactions logged with the highlighted one: correct, delete, done",
            show=False,
        ),
        # Not in the footer either: the daily keys come first there (F1 lists every key).
        Binding(
            "delete",
            "delete_record",
            "Delete",
            id="browse.delete",
            tooltip="Delete it, once asked",
            show=False,
        ),
        Binding("f", "filter", "Filter", id="browse.filter", tooltip="Tag, country, campaign…"),
        # Not in the footer: the filter bar above the table says "F clears" while it shows.
        Binding(
            "F",
            "clear_filters",
            "Clear filters",
            id="browse.clear-filters",
            tooltip="Clear the filters",
            show=False,
        ),
        # Not in the footer either, for room (F1 lists it).
        Binding(
            "D",
            "duplicates",
            "Duplicates",
            id="browse.duplicates",
            tooltip="Likely duplicates of this kind, side by side: merge or dismiss them",
            show=False,
        ),
    ]

    KIND: ClassVar[str] = "record"
    PLURAL: ClassVar[str] = "records"
    COLUMNS: ClassVar[list[Column]] = []
    SEARCH_HINT: ClassVar[str] = "Search…"

    debounce: float = 0.15
    """Seconds of quiet after a keystroke before searching (the benchmark sets 0)."""

    class Listed(Message):
        def __init__(self, generation: int, page: Page[Any]) -> None:
            super().__init__()
            self.generation = generation
            self.page = page

    class Counted(Message):
        """The count of a listing whose first page came with a total it has at least."""

        def __init__(self, generation: int, total: int) -> None:
            super().__init__()
            self.generation = generation
            self.total = total

    class RowsFetched(Message):
        def __init__(self, generation: int, offset: int, rows: list[Any]) -> None:
            super().__init__()
            self.generation = generation
            self.offset = offset
            self.rows = rows

    class DetailFetched(Message):
        def __init__(self, record_id: int, renderable: RenderableType) -> None:
            super().__init__()
            self.record_id = record_id
            self.renderable = renderable

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0
        """The latest listing asked for; the table shows it once its first page has come."""
        self.current_query: Any = None
        self.detail_wanted: int | None = None
        self.detail_shown: int | None = None
        self.pinned: int | None = None
        """A record to put the cursor on when the next listing comes ("go to")."""
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._filters_shown: Text | None = None
        self.filters = Filters()
        """What the table is narrowed by besides the search (``f``; ``F`` clears)."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(self.PLURAL.capitalize(), style="bold"), id="browse-title")
        with Horizontal(id="browse-body"):
            with Vertical(id="browse-list"):
                yield Input(placeholder=self.SEARCH_HINT, id="browse-search", compact=True)
                yield Static(id="browse-filters")
                yield LazyTable(
                    self.COLUMNS,
                    id="browse-table",
                    empty_text=f"No {self.PLURAL} match.",
                    markable=True,
                )
            with VerticalScroll(id="browse-detail"):
                yield Static(Text("", style="dim"), id="browse-detail-content")
        yield Footer()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#browse-table", LazyTable)

    @property
    def search_input(self) -> Input:
        return self.query_one("#browse-search", Input)

    def on_mount(self) -> None:
        self.start_listing()

    def on_screen_resume(self) -> None:
        self.others_changed()  # a dialog may have changed it (a form, a logged interaction)

    def others_changed(self) -> None:
        """What is listed may have changed (another program wrote, or a dialog closed):
        the listing and the detail pane are read again, the cursor kept on its record."""
        if self.table.generation:
            self.forget_detail()
            self.start_listing(keep_cursor=True)

    # --- what subclasses fill in (called in worker threads) -------------------------------

    def make_query(self, text: str, sort: str, descending: bool) -> Any:
        raise NotImplementedError

    def first_page(self, session: Session, query: Any) -> Page[Any]:
        raise NotImplementedError

    def page(self, session: Session, query: Any, offset: int, limit: int) -> list[Any]:
        raise NotImplementedError

    def count(self, session: Session, query: Any) -> int:
        """How many rows the listing has (asked when its first page did not say)."""
        raise NotImplementedError

    def detail(self, session: Session, record_id: int) -> RenderableType:
        raise NotImplementedError

    # --- searching ------------------------------------------------------------------------

    @on(Input.Changed, "#browse-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if self.debounce <= 0:
            self.start_listing()
        else:
            self._search_timer = self.set_timer(self.debounce, self._search_due)

    def _search_due(self) -> None:
        self._search_timer = None
        self.start_listing()

    @on(Input.Submitted, "#browse-search")
    def _submitted(self) -> None:
        self.table.focus()

    @on(LazyTable.SortChanged)
    def _sorted(self) -> None:
        self.start_listing()

    def start_listing(self, *, keep_cursor: bool = False) -> None:
        """Read the listing the search box and the table's order describe, from the top."""
        self.generation += 1
        table = self.table
        self.current_query = self.make_query(
            self.search_input.value, table.sort_key, table.descending
        )
        if keep_cursor and self.pinned is None and table.current_row is not None:
            self.pinned = table.current_row.id
        self.load_listing(self.generation, self.current_query)

    @work(thread=True, exclusive=True, group="listing", exit_on_error=False)
    def load_listing(self, generation: int, query: Any) -> None:
        with self.coalition.database().read_session() as session:
            page = self.first_page(session, query)
            self.post_message(self.Listed(generation, page))
            # The rows are shown first; the count follows, in the same snapshot, unless
            # the next keystroke has already asked for another listing.
            if not page.exact and not get_current_worker().is_cancelled:
                self.post_message(self.Counted(generation, self.count(session, query)))

    def on_browse_screen_listed(self, message: Listed) -> None:
        if message.generation != self.generation:
            return
        page = message.page
        table = self.table
        table.reset(message.generation, page.total, page.rows, exact=page.exact)
        self._show_count()
        if self.pinned is not None:
            at = next((i for i, row in enumerate(page.rows) if row.id == self.pinned), None)
            self.pinned = None
            if at is not None:
                table.cursor = at
        if page.total == 0:
            self._want_detail(None)

    def on_browse_screen_counted(self, message: Counted) -> None:
        if message.generation != self.generation:
            return
        self.table.set_total(message.generation, message.total)
        self._show_count()

    def _show_count(self) -> None:
        total = self.table.total
        # A first page may come before its count: "4,473+" until the count follows.
        figure = f"{total:,}" if self.table.total_exact else f"{total:,}+"
        title = Text(self.PLURAL.capitalize(), style="bold")
        marked = self.table.marked_count
        if marked:  # first: kept through searches, and never cut by a long one
            title.append(f"  {marked:,} marked", style="bold")
            title.append(" (Esc unmarks)  ·", style="dim")
        text = self.search_input.value.strip()
        noun = self.KIND if total == 1 else self.PLURAL
        if text:
            verb = "matches" if total == 1 else "match"
            title.append(f"  {figure} {noun} {verb} ", style="dim")
            title.append(Text(text))
        else:
            title.append(f"  {figure} {noun}", style="dim")
        filtered = len(self.filters.parts())
        if filtered:
            title.append(f", {filtered} filter{'s' if filtered > 1 else ''}", style="dim")
        shown = filter_bar(self.filters)
        if shown != self._filters_shown:
            # Only when the filters change: an update lays the whole screen out again,
            # which would cost every keystroke of a search a few milliseconds.
            self._filters_shown = shown
            bar = self.query_one("#browse-filters", Static)
            bar.display = bool(filtered)
            bar.update(shown)
        column = next(c for c in self.COLUMNS if c.key == self.table.sort_key)
        order = "Z–A" if self.table.descending else "A–Z"
        title.append(f"  ·  by {column.title.lower()} {order}", style="dim")
        # One line whatever it says (see the stylesheet): no layout pass needed.
        self.query_one("#browse-title", Static).update(title, layout=False)

    @on(LazyTable.MarksChanged)
    def _marks_changed(self) -> None:
        self._show_count()

    # --- more rows as the view moves -------------------------------------------------------

    @on(LazyTable.RowsWanted)
    def _rows_wanted(self, message: LazyTable.RowsWanted) -> None:
        if message.generation == self.generation:
            self.load_rows(message.generation, self.current_query, message.offset, message.limit)

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def load_rows(self, generation: int, query: Any, offset: int, limit: int) -> None:
        with self.coalition.database().read_session() as session:
            rows = self.page(session, query, offset, limit)
        self.post_message(self.RowsFetched(generation, offset, rows))

    def on_browse_screen_rows_fetched(self, message: RowsFetched) -> None:
        self.table.add_rows(message.generation, message.offset, message.rows)

    # --- the detail pane ------------------------------------------------------------------

    @on(LazyTable.Highlighted)
    def _highlighted(self, message: LazyTable.Highlighted) -> None:
        if message.row is not None:
            self._want_detail(message.row.id)

    def _want_detail(self, record_id: int | None) -> None:
        if record_id == self.detail_wanted:
            return
        self.detail_wanted = record_id
        if self._detail_timer is not None:
            self._detail_timer.stop()
        if record_id is None:
            self._detail_timer = None
            self.detail_shown = None
            self.query_one("#browse-detail-content", Static).update(Text(""))
            return
        # Holding an arrow key passes many rows; read the one the cursor stops on.
        self._detail_timer = self.set_timer(0.05, self._detail_due)

    def _detail_due(self) -> None:
        self._detail_timer = None
        if self.detail_wanted is not None:
            self.load_detail(self.detail_wanted)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, record_id: int) -> None:
        with self.coalition.database().read_session() as session:
            renderable = self.detail(session, record_id)
        self.post_message(self.DetailFetched(record_id, renderable))

    def on_browse_screen_detail_fetched(self, message: DetailFetched) -> None:
        if message.record_id != self.detail_wanted:
            return
        self.detail_shown = message.record_id
        self.query_one("#browse-detail-content", Static).update(message.renderable)
        self.query_one("#browse-detail", VerticalScroll).scroll_home(animate=False)

    # --- go to ----------------------------------------------------------------------------

    def open_record(self, record_id: int, title: str) -> None:
        """Show one record: search for its name, put the cursor on it, show its detail.

        The search starts at once rather than after the typing pause: a listing started
        meanwhile (the screen resuming, as it does when a form closes or the mode
        switches) would take the record to pin, and the paused search would then start
        again from the top, its cursor on the first row."""
        self.pinned = record_id
        self._want_detail(record_id)
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        with self.search_input.prevent(Input.Changed):
            self.search_input.value = title
        self.start_listing()
        self.table.focus()

    # --- actions and bookkeeping ----------------------------------------------------------

    def action_focus_search(self) -> None:
        self.search_input.focus()

    def action_leave_search(self) -> None:
        self.table.focus()

    def action_reload(self) -> None:
        self.start_listing(keep_cursor=True)

    def action_duplicates(self) -> None:
        self.coalition.action_duplicates(self.KIND)

    def action_interactions(self) -> None:
        from coalition.tui.screens.interactions import open_interactions

        row = self.highlighted_row()
        if row is not None:
            open_interactions(self.app, self.KIND, row.id, row.name)

    # --- filters (coalition.tui.screens.filters) ------------------------------------------

    def action_filter(self) -> None:
        from coalition.tui.screens.filters import FilterDialog

        self.app.push_screen(FilterDialog(self.KIND, self.filters), self.set_filters)

    def action_clear_filters(self) -> None:
        self.set_filters(Filters())

    def set_filters(self, filters: Filters | None) -> None:
        """Narrow the table by ``filters`` (None: leave them as they are); the listing
        starts again from the top, as for a new search."""
        if filters is None or filters == self.filters:
            return
        self.filters = filters
        self.refresh_bindings()
        self.start_listing()

    # --- add, edit, delete (coalition.tui.screens.record_forms) ---------------------------

    def highlighted_row(self) -> Any | None:
        """The highlighted row; None, with a warning saying so, when there is none."""
        row = self.table.current_row
        if row is None:
            self.notify(f"No {self.KIND} is highlighted.", severity="warning")
        return row

    def action_new_record(self) -> None:
        from coalition.tui.screens.record_forms import record_form

        self.app.push_screen(record_form(self.KIND), self._record_saved)

    def action_edit_record(self) -> None:
        from coalition.tui.screens.record_forms import record_form

        row = self.highlighted_row()
        if row is None:
            return
        self.app.push_screen(record_form(self.KIND, row.id), self._record_saved)

    def action_delete_record(self) -> None:
        from coalition.tui.screens.record_forms import ConfirmDelete

        row = self.highlighted_row()
        if row is None:
            return
        self.app.push_screen(ConfirmDelete(self.KIND, row.id, row.name), self._record_deleted)

    def _record_saved(self, record_id: int | None) -> None:
        if record_id is not None:
            self.pinned = record_id  # the cursor goes to it if it is on the first page
            self.forget_detail()
            self.start_listing(keep_cursor=True)

    def _record_deleted(self, deleted: bool | None) -> None:
        if deleted:
            table = self.table
            after = table.row_at(table.cursor + 1) or table.row_at(table.cursor - 1)
            self.pinned = after.id if after is not None else None  # its neighbour
            self.forget_detail()
            self.start_listing(keep_cursor=True)

    def forget_detail(self) -> None:
        """Read the detail pane afresh for the next highlighted row (after a change)."""
        self.detail_wanted = self.detail_shown = -1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer shows only the keys that work where the focus is.
        in_search = self.focused is self.search_input
        if action == "leave_search":
            return in_search
        if action == "focus_search":
            return not in_search
        if action in (
            "new_record",
            "edit_record",
            "delete_record",
            "sign_on",
            "add_all",
            "add_person",
            "duplicates",
            "interactions",
        ):
            return not in_search
        if action == "filter":
            return not in_search
        if action == "clear_filters":
            return not in_search and self.filters.active
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    @property
    def busy(self) -> bool:
        table = self.table if self.is_mounted else None
        return bool(
            self._search_timer is not None
            or self._detail_timer is not None
            or (table is not None and table.generation != self.generation)
            or (table is not None and table._requested is not None)
            or self.detail_wanted != self.detail_shown
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            # Nothing more will come for what failed: stop waiting for it.
            group = event.worker.group
            if group == "listing" and self.table.generation != self.generation:
                self.generation = self.table.generation
            elif group == "rows":
                self.table._requested = None
            elif group == "detail":
                self.detail_shown = self.detail_wanted


def _count(value: int) -> str:
    return f"{value:,}"


class ContactsScreen(BrowseScreen):
    """Every person, searchable by name, email, organisation, role, place and tag."""

    KIND = "contact"
    PLURAL = "contacts"
    SEARCH_HINT = "Search contacts: names, emails, organisations, roles, places, tags"
    COLUMNS: ClassVar[list[Column]] = [
        Column("name", "Name", 16, grow=3, priority=0),
        Column("organisation", "Organisation", 14, grow=3, priority=1),
        Column("email", "Email", 18, grow=3, priority=2),
        Column("role", "Role", 12, grow=2, priority=4),
        Column("country", "Country", 7, grow=0, priority=3),
    ]

    def make_query(self, text: str, sort: str, descending: bool) -> Any:
        from coalition.domain.browse import ContactQuery

        return ContactQuery(
            search_text=text, sort=sort, descending=descending, **self.filters.for_contacts()
        )

    def first_page(self, session: Session, query: Any) -> Page[Any]:
        from coalition.domain.browse import first_contacts

        return first_contacts(session, query)

    def page(self, session: Session, query: Any, offset: int, limit: int) -> list[Any]:
        from coalition.domain.browse import contact_page

        return contact_page(session, query, offset=offset, limit=limit)

    def count(self, session: Session, query: Any) -> int:
        from coalition.domain.browse import count_contacts

        return count_contacts(session, query)

    def detail(self, session: Session, record_id: int) -> RenderableType:
        from coalition.domain.browse import contact_detail
        from coalition.tui.widgets import render

        return render.contact_detail(contact_detail(session, record_id))


# c and C share one footer entry ("c C Sign-on"), for room at 80 columns.
_SIGN_ON = Binding.Group("Sign-on")


class OrganisationsScreen(BrowseScreen):
    """Every organisation, searchable by name, acronym, contact details, place and tag.

    ``c`` puts the highlighted organisation in a campaign (or moves it on), marked or
    not; ``C`` the marked ones (space marks them, through any number of searches) or,
    with none marked, every organisation listed (``coalition.tui.screens.signon_dialog``).
    Once ``C`` has done it for the marked ones their marks go; a cancel keeps them.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c",
            "sign_on",
            "Sign-on",
            id="organisations.sign-on",
            tooltip="Put the highlighted one in a campaign, or move it on (marked or not)",
            group=_SIGN_ON,
        ),
        Binding(
            "C",
            "add_all",
            "Add all",
            id="organisations.add-all",
            tooltip="The marked ones (space marks them), or with none marked every "
            "organisation listed (search or filter first), once asked",
            group=_SIGN_ON,
        ),
        Binding(
            "a",
            "add_person",
            "Person",
            id="organisations.add-person",
            tooltip="Add a person to the highlighted organisation",
        ),
    ]

    KIND = "organisation"
    PLURAL = "organisations"
    SEARCH_HINT = "Search organisations: names, acronyms, emails, websites, places, tags"
    COLUMNS: ClassVar[list[Column]] = [
        Column("name", "Name", 18, grow=4, priority=0),
        Column("acronym", "Acronym", 8, grow=1, priority=3),
        Column("country", "Country", 7, grow=0, priority=1),
        Column("city", "City", 10, grow=2, priority=4),
        Column("membership", "Membership", 10, grow=0, priority=5),
        Column("contacts", "People", 6, grow=0, priority=2, justify="right", format=_count),
    ]

    def make_query(self, text: str, sort: str, descending: bool) -> Any:
        from coalition.domain.browse import OrganisationQuery

        return OrganisationQuery(
            search_text=text, sort=sort, descending=descending, **self.filters.for_organisations()
        )

    def first_page(self, session: Session, query: Any) -> Page[Any]:
        from coalition.domain.browse import first_organisations

        return first_organisations(session, query)

    def page(self, session: Session, query: Any, offset: int, limit: int) -> list[Any]:
        from coalition.domain.browse import organisation_page

        return organisation_page(session, query, offset=offset, limit=limit)

    def count(self, session: Session, query: Any) -> int:
        from coalition.domain.browse import count_organisations

        return count_organisations(session, query)

    def detail(self, session: Session, record_id: int) -> RenderableType:
        from coalition.domain.browse import organisation_detail
        from coalition.tui.widgets import render

        return render.organisation_detail(organisation_detail(session, record_id))

    def action_add_person(self) -> None:
        from coalition.tui.screens.record_forms import ContactForm

        row = self.highlighted_row()
        if row is None:
            return
        self.app.push_screen(ContactForm(organisation=row.name), self._person_added)

    def _person_added(self, contact_id: int | None) -> None:
        if contact_id is not None:
            self.forget_detail()  # its people, and their count in the table
            self.start_listing(keep_cursor=True)

    # --- sign-ons (coalition.tui.screens.signon_dialog) -----------------------------------

    def action_sign_on(self) -> None:
        row = self.highlighted_row()
        if row is None:
            return
        self.prepare_sign_on(row.id, row.name)

    def action_add_all(self) -> None:
        from coalition.tui.screens.signon_dialog import EMPTY_LIST, NOT_NARROWED

        marked = [row.id for row in self.table.marked_rows]
        if marked:
            self.prepare_add_marked(marked)
            return
        query = self.current_query
        if query is None or self.table.generation != self.generation:
            return  # the listing is being read: what "all" is is not known yet
        if not (query.search_text.strip() or query.filtered):
            self.notify(NOT_NARROWED, severity="warning", markup=False)
            return
        if self.table.total == 0:
            self.notify(EMPTY_LIST, severity="warning", markup=False)
            return
        self.prepare_add_all(query)

    @work(thread=True, exclusive=True, group="signon", exit_on_error=False)
    def prepare_sign_on(self, organisation_id: int, name: str) -> None:
        from coalition.tui.screens.signon_dialog import SignOnDialog, read_one

        self._open_dialog(
            lambda s, remembered: SignOnDialog(read_one(s, organisation_id, name, remembered))
        )

    @work(thread=True, exclusive=True, group="signon", exit_on_error=False)
    def prepare_add_all(self, query: Any) -> None:
        from coalition.tui.screens.signon_dialog import AddAllDialog, read_all

        self._open_dialog(lambda s, remembered: AddAllDialog(read_all(s, query, remembered)))

    @work(thread=True, exclusive=True, group="signon", exit_on_error=False)
    def prepare_add_marked(self, ids: list[int]) -> None:
        from coalition.errors import NotFound
        from coalition.tui.screens.signon_dialog import AddAllDialog, read_marked

        def make(session: Session, remembered: str | None) -> ModalScreen[str | None]:
            try:
                start = read_marked(session, ids, remembered)
            except NotFound:  # every one of them is gone
                self.app.call_from_thread(self._unmark, ids)
                raise
            gone = [i for i in ids if i not in set(start.ids)]
            if gone:  # deleted or merged since: nothing to act on there
                self.app.call_from_thread(self._unmark, gone)
            return AddAllDialog(start)

        self._open_dialog(make, self._added_marked)

    def _unmark(self, ids: list[int]) -> None:
        self.table.unmark(ids)

    def _open_dialog(
        self,
        make: Callable[[Session, str | None], ModalScreen[str | None]],
        done: Callable[[str | None], None] | None = None,
    ) -> None:
        """Read what a dialog starts from and open it (in a worker thread); a sentence
        instead when there is nothing to open it on (no campaign, an empty listing).
        ``done`` is given what the dialog returns (by default it is said)."""
        from coalition import settings
        from coalition.errors import CoalitionError

        coalition = self.coalition
        try:
            remembered = settings.saved_campaign(coalition.db_target)
            with coalition.database().read_session() as session:
                dialog = make(session, remembered)
        except CoalitionError as error:
            self.app.call_from_thread(self.notify, str(error), severity="warning", markup=False)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_dialog, dialog, done or self._signed_on)

    def _show_dialog(
        self, dialog: ModalScreen[str | None], done: Callable[[str | None], None]
    ) -> None:
        if self.is_current:  # not over another dialog opened meanwhile
            self.app.push_screen(dialog, done)

    def _signed_on(self, sentence: str | None) -> None:
        if sentence:
            self.notify(sentence, title="Sign-on", markup=False)
        # The listing and the detail pane are read again as the screen resumes.

    def _added_marked(self, sentence: str | None) -> None:
        """The marked ones are in the campaign: their marks go (after a cancel they stay,
        to choose another campaign or status)."""
        if sentence:
            self.table.clear_marks()
        self._signed_on(sentence)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("sign_on", "add_all"):
            return self.focused is not self.search_input
        return super().check_action(action, parameters)
