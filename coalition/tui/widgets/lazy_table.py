"""A table over a listing too big to hold: rows are fetched by page as they come into view.

Textual's DataTable keeps every row as widget data; 100,000 contacts cost ~17 s
and 250 MB there. ``LazyTable`` is a line-API widget instead: its virtual
height is the listing's count (so the scrollbar, Page Down and End behave as
over the whole listing), it draws only the lines in view, and it holds only
the pages of rows around the view. When the view reaches rows it does not
hold, it posts ``RowsWanted`` for one contiguous range; the screen fetches
them in a thread worker and hands them back with ``add_rows``. Pages far from
the view are dropped.

Every listing (a new search, a new order) gets a *generation*; rows that
arrive for an older one are ignored, so a slow page of the last search can
never land in the table of the new one.

Cells are plain strings drawn as segments, never markup: a name such as
"[bold]" shows as typed.

A table made ``markable`` lets the coordinator pick rows to act on together: ``space``
marks the highlighted row (or unmarks it) and moves down, as in mutt or a file manager;
``escape`` unmarks them all (while there are marks: else Esc goes on to the screen's own
meaning). Marks are kept by record (``mark_key``, the row's ``id``), not by position, so
they stay through re-sorting, paging and a new search, whose rows are read afresh: a row
marked is marked wherever it comes back. A two-cell gutter left of the columns shows "●"
on each marked row (always there, so the columns do not move when the first mark comes);
the columns are fitted to what is left. ``MarksChanged`` is posted on each change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PAGE = 100
"""Rows fetched at a time."""
MARGIN = 50
"""Rows kept ready above and below the view."""
GUTTER = 2
"""Cells left of the columns in a markable table: the mark, and a space."""
MARK = "●"


@dataclass(frozen=True)
class Column:
    """A table column: which attribute of a row it shows, and how wide it may be."""

    key: str
    title: str
    min_width: int
    grow: int = 1
    """Share of the spare width this column takes."""
    priority: int = 1
    """Columns with the highest numbers are left out first when the table is narrow."""
    justify: str = "left"
    sortable: bool = True
    format: Callable[[Any], str] | None = None


_SORTING = Binding.Group("Sort")


MOVE_BINDINGS: list[BindingType] = [
    Binding("up", "cursor_up", "Up", show=False),
    Binding("down", "cursor_down", "Down", show=False),
    Binding("pageup", "page_up_rows", "Page up", show=False),
    Binding("pagedown", "page_down_rows", "Page down", show=False),
    Binding("home", "first_row", "First", show=False),
    Binding("end", "last_row", "Last", show=False),
]
"""The keys that move a table's cursor (a table that does not sort takes these alone)."""


def _row_id(row: Any) -> Hashable:
    return row.id  # type: ignore[no-any-return]


class LazyTable(ScrollView, can_focus=True):
    """Rows of a listing, drawn and held only around the view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *MOVE_BINDINGS,
        # One footer entry for both ("s r Sort"): the footer has 80 columns for every key.
        Binding(
            "s",
            "next_sort",
            "Sort",
            id="table.sort",
            tooltip="Sort by the next column",
            group=_SORTING,
        ),
        Binding(
            "r",
            "reverse_sort",
            "Reverse",
            id="table.reverse",
            tooltip="Reverse the order",
            group=_SORTING,
        ),
        # Not in the footer, which has no room for them at 80 columns: the screen says how
        # many are marked and that Esc unmarks them; F1 lists both. A table that is not
        # markable lets both keys go on to the screen (see the actions).
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            id="table.mark",
            tooltip="Contacts and organisations: mark the highlighted one (or unmark it) and "
            "go to the next; C puts the marked organisations in a campaign",
            show=False,
        ),
        Binding(
            "escape",
            "clear_marks",
            "Unmark all",
            id="table.unmark-all",
            tooltip="Take every mark off (while there are marks)",
            show=False,
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lazy-table--header",
        "lazy-table--cursor",
        "lazy-table--loading",
        "lazy-table--empty",
        "lazy-table--marked",
    }

    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        & > .lazy-table--header { text-style: bold; background: $panel; }
        & > .lazy-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .lazy-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .lazy-table--loading { color: $text-muted; }
        & > .lazy-table--empty { color: $text-muted; text-style: italic; }
        & > .lazy-table--marked { color: $text-accent; text-style: bold; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    """The index (in the whole listing) of the highlighted row."""

    class RowsWanted(Message):
        """The view needs rows ``offset`` to ``offset + limit`` of listing ``generation``."""

        def __init__(self, table: LazyTable, generation: int, offset: int, limit: int) -> None:
            super().__init__()
            self.table = table
            self.generation = generation
            self.offset = offset
            self.limit = limit

        @property
        def control(self) -> LazyTable:
            return self.table

    class Highlighted(Message):
        """The cursor is on ``row`` (None while that row is being fetched or the table is empty)."""

        def __init__(self, table: LazyTable, index: int, row: Any | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> LazyTable:
            return self.table

    class MarksChanged(Message):
        """Rows were marked or unmarked: ``count`` are marked now."""

        def __init__(self, table: LazyTable, count: int) -> None:
            super().__init__()
            self.table = table
            self.count = count

        @property
        def control(self) -> LazyTable:
            return self.table

    class SortChanged(Message):
        """The user asked for another order."""

        def __init__(self, table: LazyTable, key: str, descending: bool) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.descending = descending

        @property
        def control(self) -> LazyTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        sort_key: str | None = None,
        empty_text: str = "Nothing to show.",
        markable: bool = False,
        mark_key: Callable[[Any], Hashable] = _row_id,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.sort_key = sort_key or self.columns[0].key
        self.descending = False
        self.empty_text = empty_text
        self.total = 0
        """Rows in the whole listing (``total_exact`` False: at least that many)."""
        self.total_exact = True
        self.generation = 0
        self._pages: dict[int, list[Any]] = {}
        self._requested: tuple[int, int, int] | None = None
        """(generation, first page, last page) of the range asked for and not yet come."""
        self._widths: list[tuple[Column, int]] = []
        self._laid_out_for = -1
        self._style_cache: dict[str, Style] = {}
        self.markable = markable
        """Rows can be marked (space), to act on together."""
        self.mark_key = mark_key
        """What a mark is kept by: the row's record, whatever its place in the listing."""
        self._marked: dict[Hashable, Any] = {}
        """The marked rows by key, in the order marked (each as it was last drawn)."""

    # --- what the screen calls ---------------------------------------------------------

    def reset(
        self, generation: int, total: int, first_rows: Sequence[Any], *, exact: bool = True
    ) -> None:
        """Show a new listing: its count and first rows; the cursor goes to the top.
        ``exact`` False: the listing has at least ``total`` rows, ``set_total`` follows."""
        self.generation = generation
        self.total = total
        self.total_exact = exact
        self._pages = {}
        self._requested = None
        self._store(0, first_rows)
        self._set_height(total + 1)
        self.scroll_to(y=0, animate=False)
        self.cursor = 0
        self.refresh()
        self._want_visible()

    def set_total(self, generation: int, total: int) -> None:
        """The count of listing ``generation``, come after its first rows: the rows shown
        and the cursor stay. Ignored when it belongs to an older listing."""
        if generation != self.generation:
            return
        self.total = total
        self.total_exact = True
        self._set_height(total + 1)
        self.refresh()
        self._want_visible()

    def _set_height(self, height: int) -> None:
        """Make the scrollable height ``height`` lines (a header and a line per row).

        Without laying the screen out again, unless a scrollbar comes or goes: the table
        keeps its place on screen whatever its row count, and a layout pass cost each
        search's first page about a third of its time to paint.
        """
        size = Size(self.scrollable_content_region.width, height)
        if size == self.virtual_size:
            return
        scrollbars = (self.show_vertical_scrollbar, self.show_horizontal_scrollbar)
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)  # the scrollbars' thumbs, and whether they are shown
        if (self.show_vertical_scrollbar, self.show_horizontal_scrollbar) != scrollbars:
            self.refresh(layout=True)

    def add_rows(self, generation: int, offset: int, rows: Sequence[Any]) -> None:
        """Rows fetched for a ``RowsWanted``; ignored when they belong to an older listing."""
        if generation != self.generation:
            return
        self._requested = None
        self._store(offset, rows)
        self._evict()
        self.refresh()
        if self.row_at(self.cursor) is not None:
            self._announce()
        self._want_visible()

    @property
    def shown_columns(self) -> list[tuple[Column, int]]:
        """The columns shown at the table's width, each with its width in cells."""
        return list(self._widths)

    @property
    def held_rows(self) -> int:
        """How many rows the table holds (a page or a few, whatever the listing's size)."""
        return sum(len(page) for page in self._pages.values())

    @property
    def current_row(self) -> Any | None:
        """The highlighted row, if it is held."""
        return self.row_at(self.cursor)

    # --- pages -------------------------------------------------------------------------

    def _store(self, offset: int, rows: Sequence[Any]) -> None:
        for start in range(0, len(rows), PAGE):
            self._pages[(offset + start) // PAGE] = list(rows[start : start + PAGE])

    def row_at(self, index: int) -> Any | None:
        """The row at ``index`` of the listing, or None when its page is not held."""
        page = self._pages.get(index // PAGE)
        if page is None or not 0 <= index < self.total:
            return None
        at = index % PAGE
        return page[at] if at < len(page) else None

    def _needed(self) -> list[int]:
        """The pages the view (with its margin) and the cursor need, in order."""
        top = int(self.scroll_y)
        bottom = top + self.data_height()
        last_row = max(self.total - 1, 0)
        first, last = max(top - MARGIN, 0) // PAGE, min(bottom + MARGIN, last_row) // PAGE
        pages = set(range(first, last + 1))
        pages.add(min(self.cursor, last_row) // PAGE)
        return sorted(pages)

    def _want_visible(self) -> None:
        if not self.total:
            return
        missing = [p for p in self._needed() if p not in self._pages]
        if not missing:
            return
        # One contiguous run at a time; the rest is asked for when it has come.
        run = [missing[0]]
        for page in missing[1:]:
            if page != run[-1] + 1:
                break
            run.append(page)
        wanted = (self.generation, run[0], run[-1])
        asked = self._requested
        if asked and asked[0] == wanted[0] and asked[1] <= wanted[1] and wanted[2] <= asked[2]:
            return  # already on its way
        self._requested = wanted
        offset = run[0] * PAGE
        limit = (run[-1] + 1) * PAGE - offset
        self.post_message(self.RowsWanted(self, self.generation, offset, limit))

    def _evict(self) -> None:
        keep: set[int] = set()
        for page in self._needed():
            keep.update((page - 1, page, page + 1))
        for page in [p for p in self._pages if p not in keep]:
            del self._pages[page]

    # --- drawing -------------------------------------------------------------------------

    def data_height(self) -> int:
        """How many rows the table shows at once (its height less the header)."""
        return max(self.scrollable_content_region.height - 1, 1)

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        """Column widths for ``width`` cells: leave out low-priority columns that do not fit,
        share the spare width by ``grow``."""
        columns = sorted(self.columns, key=lambda c: c.priority)
        while len(columns) > 1 and sum(c.min_width + 1 for c in columns) > width:
            columns.pop()
        shown = [c for c in self.columns if c in columns]
        spare = max(width - sum(c.min_width + 1 for c in shown), 0)
        grow = sum(c.grow for c in shown) or 1
        widths = []
        for column in shown:
            extra = spare * column.grow // grow
            widths.append((column, column.min_width + extra))
        if widths:  # rounding leftovers go to the first column
            used = sum(w + 1 for _, w in widths)
            column, w = widths[0]
            widths[0] = (column, w + max(width - used, 0))
        return widths

    def _fit(self) -> int:
        """Lay the columns out again when the width changed (a resize, or the scrollbar
        coming or going); the width, which lines are drawn to until the next call."""
        width = self.scrollable_content_region.width
        if width != self._laid_out_for:
            self._laid_out_for = width
            self._widths = self._layout(width - self.mark_gutter)
        return width

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self.virtual_size = Size(self.scrollable_content_region.width, self.total + 1)
        self._want_visible()

    def _line(self, cells: list[str], style: Style, mark: str = " ") -> Strip:
        """One line of plain cells as a single segment: no markup is ever read, and a
        line costs one Strip (the table redraws every line on each search). ``mark``: what
        the gutter shows, in a markable table."""
        parts = [f"{mark} "] if self.mark_gutter else []
        for (column, width), cell in zip(self._widths, cells, strict=False):
            if cell_len(cell) > width:
                cell = set_cell_size(cell, max(width - 1, 0)) + "…"
            elif column.justify == "right":
                cell = " " * (width - cell_len(cell)) + cell
            parts.append(set_cell_size(cell, width))
        text = parts[0] + " ".join(parts[1:]) if self.mark_gutter else " ".join(parts)
        width = self._laid_out_for  # as _fit found it for this line (looked up once)
        return Strip([Segment(set_cell_size(text, width), style)], width)

    def _style(self, name: str) -> Style:
        """Component styles, looked up once per style change rather than once per line."""
        style = self._style_cache.get(name)
        if style is None:
            style = self.rich_style if name == "base" else self.get_component_rich_style(name)
            self._style_cache[name] = style
        return style

    def notify_style_update(self) -> None:
        self._style_cache.clear()
        super().notify_style_update()

    def _header(self) -> Strip:
        cells = []
        for column, _ in self._widths:
            title = column.title
            if column.key == self.sort_key:
                title += " ▼" if self.descending else " ▲"
            cells.append(title)
        return self._line(cells, self._style("base") + self._style("lazy-table--header"))

    def render_line(self, y: int) -> Strip:
        width = self._fit()
        if y == 0:
            return self._header()
        index = int(self.scroll_y) + y - 1
        base = self._style("base")
        if self.total == 0:
            if y == 1:
                return self._line([self.empty_text], base + self._style("lazy-table--empty"))
            return Strip.blank(width, base)
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        style = base
        if index == self.cursor:
            style = base + self._style("lazy-table--cursor")
        if row is None:
            return self._line(["…"], style + self._style("lazy-table--loading"))
        cells = [self._cell(column, row) for column, _ in self._widths]
        if self._marked and self.mark_key(row) in self._marked:
            self._marked[self.mark_key(row)] = row  # as it reads now (a rename, say)
            marked = base + self._style("lazy-table--marked")
            if index == self.cursor:
                marked += self._style("lazy-table--cursor")
            return self._line(cells, marked, MARK)
        return self._line(cells, style)

    @staticmethod
    def _cell(column: Column, row: Any) -> str:
        value = getattr(row, column.key, None)
        if value is None:
            return ""
        text = column.format(value) if column.format else str(value)
        # A cell is one line: line breaks and tabs in a value become spaces.
        return " ".join(text.split()) if not text.isprintable() else text

    # --- moving -------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._want_visible()

    def watch_cursor(self, old: int, new: int) -> None:
        if self.total:
            self.refresh_line(old + 1)
        self._scroll_to_cursor()
        self.refresh()
        self._want_visible()
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self, self.cursor, self.row_at(self.cursor)))

    def _scroll_to_cursor(self) -> None:
        height = self.data_height()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _move(self, to: int) -> None:
        if self.total:
            self.cursor = max(0, min(to, self.total - 1))

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_page_up_rows(self) -> None:
        self._move(self.cursor - self.data_height())

    def action_page_down_rows(self) -> None:
        self._move(self.cursor + self.data_height())

    def action_first_row(self) -> None:
        self._move(0)

    def action_last_row(self) -> None:
        self._move(self.total - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = self.mark_gutter
            for column, width in self._widths:
                if x <= event.x < x + width + 1:
                    self.sort_by(column.key)
                    break
                x += width + 1
            return
        index = int(self.scroll_y) + event.y - 1
        self._move(index)
        if event.x < self.mark_gutter:  # a click on the gutter marks the row (or unmarks it)
            row = self.row_at(index)
            if row is not None:
                self.set_marked(row, not self.is_marked(row))

    # --- marks ---------------------------------------------------------------------------

    @property
    def mark_gutter(self) -> int:
        """Cells left of the columns: the marks' (none in a table that is not markable)."""
        return GUTTER if self.markable else 0

    @property
    def marked_rows(self) -> list[Any]:
        """The marked rows, in the order they were marked (those out of the listing now
        too: a mark stays through another search)."""
        return list(self._marked.values())

    @property
    def marked_count(self) -> int:
        return len(self._marked)

    def is_marked(self, row: Any) -> bool:
        return self.mark_key(row) in self._marked

    def set_marked(self, row: Any, marked: bool) -> None:
        """Mark ``row`` or take its mark off."""
        key = self.mark_key(row)
        if marked == (key in self._marked):
            return
        if marked:
            self._marked[key] = row
        else:
            del self._marked[key]
        self.refresh()
        self.post_message(self.MarksChanged(self, len(self._marked)))

    def unmark(self, keys: Sequence[Hashable]) -> None:
        """Take the marks off the rows kept by ``keys`` (the ones marked, those not: no
        matter)."""
        gone = [key for key in keys if key in self._marked]
        for key in gone:
            del self._marked[key]
        if gone:
            self.refresh()
            self.post_message(self.MarksChanged(self, len(self._marked)))

    def clear_marks(self) -> None:
        """Take every mark off."""
        self.unmark(list(self._marked))

    def action_toggle_mark(self) -> None:
        if not self.markable:
            raise SkipAction()  # the key goes on to the screen
        row = self.current_row
        if row is None:
            return  # being read: nothing to mark yet
        self.set_marked(row, not self.is_marked(row))
        self._move(self.cursor + 1)

    def action_clear_marks(self) -> None:
        if not self._marked:
            raise SkipAction()  # Esc means what the screen makes it mean
        self.clear_marks()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_mark":
            return self.markable
        if action == "clear_marks":
            return bool(self._marked)
        return True

    # --- sorting -------------------------------------------------------------------------

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        """Sort by column ``key``; choosing the sorted column again reverses the order."""
        column = next((c for c in self.columns if c.key == key), None)
        if column is None or not column.sortable:
            return
        if descending is None:
            descending = not self.descending if key == self.sort_key else False
        self.sort_key, self.descending = key, descending
        self.refresh()
        self.post_message(self.SortChanged(self, key, descending))

    def action_next_sort(self) -> None:
        keys = [c.key for c, _ in self._widths if c.sortable] or [
            c.key for c in self.columns if c.sortable
        ]
        at = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_by(keys[(at + 1) % len(keys)], descending=False)

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key, descending=not self.descending)


__all__ = ["GUTTER", "MARGIN", "PAGE", "Column", "LazyTable"]
