"""Which filter of a listing SQLite reads first: planning it ourselves.

SQLite keeps no statistics here (no ``ANALYZE`` table), so it cannot tell a tag on
half the contacts from one on twenty, nor a search matching one contact from one
matching all. Each filter of a listing is therefore a ``Narrowing``: its condition,
and how many rows it keeps (an index range count, a few milliseconds). ``leading``
then reads the listing either from the smallest filter (its rows, then sorted) or by
walking the name index and checking each row, whichever reads fewer rows; the other
filters are checked row by row, their column hidden from the planner
(``column + 0``, SQLite's documented way to keep it from using an index).

Everything here is about how SQLite plans; what a filter *means* is said once in
``coalition.domain.filters``. PostgreSQL has statistics of its own, but not where a
search's matches lie in name order: ``matched`` says its plan for a search too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, any_, text
from sqlalchemy.orm import Session

from coalition.store.search import Matches

WALK_FROM = 1000
"""Search matches from which a name-sorted listing walks the name index rather than
sorting them (reading every match and sorting costs ~25 ms for a one-letter search at
100,000 contacts)."""

FIRST_OVER_WALK = 2
"""How many more rows a filter that gives its first rows in name order itself
(``Narrowing.first``) may keep than the walk of the name order would read, and still
lead by reading them all and sorting: on PostgreSQL at 100,000 contacts such a search
reads ~1 µs a match, and walking its own entries in name order (``walk``) ~2 µs an
entry, more where the matches bunch at the order's end ("z": 5,380 matches, 5 ms
sorted, 8.5 ms walked through 5,259 entries)."""

READ_FIRST_UNDER = 20_000
"""PostgreSQL: matches a leading search reads before the rows (``= ANY(ARRAY(...))``);
from there the server's own join is as fast (measured at 100,000 contacts, a count and
a page sorted by role: 5 ms either way for 1,800 matches, 28-33 against 35-39 ms for
27,000, and for all 100,000 no better: 65 against 58 ms for the count)."""


def hidden(column: Any, drive: bool) -> Any:
    """``column`` as SQLite may use its index (``drive``), or hidden from the planner."""
    return column if drive else column + 0


class Narrowing:
    """One filter of a listing: its condition, and how many rows it keeps."""

    def __init__(
        self,
        condition: Callable[[bool], ColumnElement[bool]],
        size: Callable[[], int | None] | None = None,
        *,
        drivable: bool = True,
        estimate: Callable[[], int | None] | None = None,
        first: Callable[[int, bool, bool], ColumnElement[bool]] | None = None,
        whole: bool = True,
    ) -> None:
        self._condition = condition
        """drive -> the condition, with its column usable by the planner when True."""
        self._size = size
        """() -> how many rows it keeps; None when only a scan could tell."""
        self._estimate = estimate or size
        """() -> about how many it keeps, when ``size`` is None."""
        self.drivable = drivable and size is not None
        self.first = first
        """(rows, descending, walk) -> the condition when it alone leads a listing in name
        order: its first ``rows`` rows in that order, found by walking the order where it
        keeps many rows (``walk``), else by sorting them (None: no such shortcut)."""
        self.whole = whole
        """Whether ``size`` counts every row it keeps (False: it stopped counting there,
        they are at least that many; see ``walked_from``)."""
        self._known: int | None = None
        self._guess: int | None = None

    def condition(self, drive: bool) -> ColumnElement[bool]:
        return self._condition(drive)

    @property
    def exact(self) -> bool:
        return self._size is not None

    def size(self) -> int:
        if self._known is None:
            assert self._size is not None, "size() of a narrowing that only estimates"
            self._known = int(self._size() or 0)
        return self._known

    def estimate(self, total: int) -> int:
        if self._size is not None:
            return self.size()
        if self._guess is None:
            guess = self._estimate() if self._estimate is not None else None
            self._guess = int(guess) if guess is not None else total
        return self._guess


def plain(narrowings: list[Narrowing]) -> list[ColumnElement[bool]]:
    """The narrowings as conditions, every column usable: for a query whose order and
    size leave nothing to choose (an export, a count)."""
    return [n.condition(True) for n in narrowings]


def leading(
    narrowings: list[Narrowing],
    *,
    total: Callable[[], int],
    by_name: bool,
    rows: int,
    descending: bool = False,
) -> list[ColumnElement[bool]]:
    """The narrowings as conditions, the smallest leading when that reads fewer rows.

    Read from the smallest filter, a listing costs that filter's rows (and a sort).
    Read by walking the name index, it costs about ``rows * total / kept`` entries until
    ``rows`` (the page's end) are found, ``kept`` being how many pass every filter
    (guessed as if the filters were independent). Other orders sort anyway, so the
    smallest filter always leads. ``total``: how many rows the table has. A filter leading
    a listing in name order alone gives only its first ``rows`` rows where it can tell
    them (``Narrowing.first``; ``descending``: the order reversed), walking its own
    entries in name order when it keeps many, else sorting them.
    """
    drivable = [n for n in narrowings if n.drivable]
    driver = min(drivable, key=lambda n: n.size()) if drivable else None
    if driver is not None and by_name:
        count = max(total(), 1)
        kept = float(count)
        for narrowing in narrowings:
            kept *= min(narrowing.estimate(count), count) / count
        walk = min(count, rows * count / max(kept, 1.0))
        alone = driver.first if len(narrowings) == 1 else None
        many = driver.size() > (FIRST_OVER_WALK if alone else 2) * walk
        if alone is not None:
            return [alone(rows, descending, many)]
        if many:
            driver = None
    return [n.condition(n is driver) for n in narrowings]


def walked_from(rows: int, total: int) -> int:
    """How many rows a filter leading a listing in name order alone may keep for
    ``leading`` to walk the name index whatever their real number: from there counting
    them further changes nothing in the plan (``FIRST_OVER_WALK``), and a search on
    PostgreSQL, whose count visits every match, may stop there (``Narrowing.whole``).
    ~4,500 for the first 100 rows of 100,000 contacts."""
    return math.isqrt(FIRST_OVER_WALK * max(rows, 1) * max(total, 1)) + 1


def matched(found: Matches, id_column: Any, drive: bool) -> ColumnElement[bool]:
    """The rows a search matches, as a condition on ``id_column``: read from the matches
    (``drive``), or checked row by row while something else leads (the name index's walk,
    a smaller filter).

    SQLite: the id, or the id hidden from the planner. PostgreSQL keeps statistics, but
    cannot know where a prefix's matches lie in name order: left to itself it walked the
    name index through 98,000 contacts for the 1,802 that "ελε" matches (Greek names
    sort last), 200 ms and more. The count is known here, so the plan is said outright:
    leading, the matches are read first (``= ANY(ARRAY(...))``, which the server cannot
    turn into a join); checked, each row is looked up in the search table by its id;
    leading with ``READ_FIRST_UNDER`` matches or more (a count, an export), the server
    plans the plain ``IN`` itself.
    """
    if not found.on_postgres:
        return hidden(id_column, drive).in_(found.clause)  # type: ignore[no-any-return]
    if not drive:
        return found.row_matches(id_column)
    if found.whole and found.count < READ_FIRST_UNDER:
        return id_column == any_(found.id_array())  # type: ignore[no-any-return]
    return id_column.in_(found.clause)  # type: ignore[no-any-return]


ANALYZE_FROM = 1000
"""Rows an import writes from which PostgreSQL's statistics are refreshed at its end."""

LISTED_TABLES = (
    "organisations", "contacts", "contact_emails", "contact_phones", "tags",
    "organisation_tags", "contact_tags", "signons", "contact_search", "organisation_search",
)  # fmt: skip
"""The tables a listing reads (and an import writes)."""


def refresh_statistics(session: Session, rows: int) -> None:
    """After a write of ``rows`` rows: on PostgreSQL, ``ANALYZE`` the listed tables when
    there are ``ANALYZE_FROM`` or more, so the server plans the next listings from what
    the tables now hold rather than from the empty tables it last sampled (its own
    autovacuum comes a minute later, or never while the import's session is open).
    Inside the caller's transaction: it sees the rows just written. SQLite: nothing
    (``leading`` counts for it)."""
    if rows < ANALYZE_FROM or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"ANALYZE {', '.join(LISTED_TABLES)}"))


def first_matched(
    found: Matches, id_column: Any
) -> Callable[[int, bool, bool], ColumnElement[bool]] | None:
    """(rows, descending, walk) -> the first ``rows`` rows a search matches in name order,
    as a condition on ``id_column`` (``Matches.first_in_name_order``): a ``Narrowing``'s
    ``first``. None where the index cannot tell them (SQLite's, organisations')."""
    if not found.knows_name_order:
        return None

    def first(rows: int, descending: bool, walk: bool) -> ColumnElement[bool]:
        ids = found.first_in_name_order(rows, descending=descending, walk=walk)
        return id_column == any_(ids)  # type: ignore[no-any-return]

    return first


def search_condition(found: Matches, id_column: Any, *, walk_names: bool) -> ColumnElement[bool]:
    """The condition a search puts on a listing of one table.

    With many matches, a listing in name order is found fastest by walking the name
    index and keeping the rows that match (see ``matched``); otherwise it reads every
    match and sorts them.
    """
    walk = walk_names and found.count >= WALK_FROM
    return matched(found, id_column, not walk)


__all__ = [
    "ANALYZE_FROM",
    "FIRST_OVER_WALK",
    "LISTED_TABLES",
    "READ_FIRST_UNDER",
    "WALK_FROM",
    "Narrowing",
    "first_matched",
    "hidden",
    "leading",
    "matched",
    "plain",
    "refresh_statistics",
    "search_condition",
    "walked_from",
]
