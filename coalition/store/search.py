"""Full-text search over organisations and contacts.

SQLite: two FTS5 tables (``contact_search`` and ``organisation_search``) whose
rowid is the record's id, tokenised with ``unicode61 remove_diacritics 2`` so
"muller" finds "Müller" and "emilie" finds "Émilie", with a prefix index on
1-4 characters so search-as-you-type stays well under a millisecond at
100,000 contacts (a first letter's matches are counted in a few). Each table
has one column per kind of text so that a name match can be listed before a
match in a tag or a city.

The index is kept current by the domain layer, which calls
``index_contacts``/``index_organisations`` after each change: the parts of the
documents are read by one set-based statement per few thousand ids, and the
documents built by ``contact_document``/``organisation_document`` — which an
import calls itself with the values it already holds (``add_contacts``), so
100,000 new rows are indexed without reading them back.

PostgreSQL: the same two table names, each ``(id, doc tsvector)`` with a GIN index.
The document is built here, not by PostgreSQL's parser: the text is folded as for
SQLite and then fully (accents off in every script, case folded), cut into words as
``unicode61`` cuts them (runs of letters and digits), and written as a tsvector
literal with each word's position; the name column's words carry weight A, and a
gap of positions lies between columns so that a phrase never spans two. A query is
built the same way (``ts_query``): each typed term a phrase (``<->``) whose last
word is a prefix (``:*``), the terms joined by ``&``, and ``:A`` for the name tier.
So both engines answer alike (tests/test_search_engines.py holds the shared table),
and no extension (``unaccent``, ``pg_trgm``) is needed, nor a superuser to create
one: ``unaccent``'s rules are not ours (it leaves Greek accents, for one).

Every statement that only one engine understands stays in this module, behind the
same functions.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    TextClause,
    cast,
    column,
    func,
    literal,
    select,
    text,
)
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from coalition.errors import DatabaseError
from coalition.text import plain_letters, strip_accents

CONTACT_TABLE = "contact_search"
ORGANISATION_TABLE = "organisation_search"
TOKENIZE = "unicode61 remove_diacritics 2"
PREFIX = "1 2 3 4"
"""The prefix lengths indexed (since migration 0006; "2 3 4" before)."""

CONTACT_COLUMNS = ("name", "emails", "organisation", "role", "place", "tags")
ORGANISATION_COLUMNS = ("name", "acronym", "contact", "place", "tags")

_TERM = re.compile(r"\S+")
_WORDISH = re.compile(r"\w", re.UNICODE)


def is_index_table(name: str) -> bool:
    """True for the FTS tables and their shadow tables (kept out of schema comparisons)."""
    return name.startswith((CONTACT_TABLE, ORGANISATION_TABLE))


def index_text(text: str) -> str:
    """Strip accents from every script before indexing and querying.

    ``remove_diacritics 2`` folds Latin letters only; doing it here as well
    makes "ελενη" find "Ελένη" too, and letters with a stroke become their base
    letters ("lodz" finds "Łódź"). Index and query are folded alike, so the
    match stays consistent for every script. Text within Latin-1 and Latin
    Extended-A/B is left to the tokenizer, which folds it the same way at C
    speed (most of a European address book).
    """
    if not text or text.isascii():
        return text
    text = plain_letters(text)  # the tokenizer keeps Ł, ø, ß and æ as they are
    if max(text) < _BEYOND_BASIC_LATIN:
        return text
    return strip_accents(text)


_BEYOND_BASIC_LATIN = "\u0250"


def match_expression(query: str) -> str | None:
    """An FTS5 query for what a user typed: every word must match, the last as a prefix.

    Each whitespace-separated term becomes a quoted phrase (so punctuation in
    "emilie.m" or "anna@example.org" is safe and still matches the tokens in order) and
    is matched as a prefix, which is what search-as-you-type needs.
    """
    parts = []
    # Control characters (a NUL ends the query string inside FTS5) become spaces.
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    for term in _TERM.findall(index_text(printable)):
        if not _WORDISH.search(term):
            continue
        parts.append('"' + term.replace('"', '""') + '"*')
    if not parts:
        return None
    return " AND ".join(parts)


def _require_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name not in ("sqlite", "postgresql"):
        raise DatabaseError("Full-text search is only available on SQLite and PostgreSQL.")


def _on_postgres(session: Session) -> bool:
    _require_sqlite(session)
    return session.get_bind().dialect.name == "postgresql"


# --- PostgreSQL: documents and queries as tsvector and tsquery literals --------------------

_PG_WORD = re.compile(r"[^\W_]+")
"""A word as ``unicode61`` cuts one: a run of letters and digits."""
_PG_WORD_MAX = 500
"""Longer words are cut (a tsvector lexeme holds at most 2 KB)."""
_PG_POSITION_MAX = 16383
"""PostgreSQL's highest word position; later words share it."""
_PG_COLUMN_GAP = 2
"""Positions left empty between two columns, so no phrase (``<->``) spans them."""


def pg_words(text: str | None) -> list[str]:
    """The words PostgreSQL indexes for ``text``: folded as SQLite's index folds them
    (``index_text`` and ``unicode61 remove_diacritics 2``), accents off and case folded."""
    if not text:
        return []
    folded = strip_accents(index_text(text)).casefold()
    return [w[:_PG_WORD_MAX] for w in _PG_WORD.findall(folded)]


def pg_document(columns: Sequence[str | None]) -> str:
    """A tsvector literal for one document (the values of its columns, name first)."""
    positions: dict[str, list[str]] = {}
    position = 0
    for number, value in enumerate(columns):
        weight = "A" if number == 0 else ""
        for word in pg_words(value):
            position = min(position + 1, _PG_POSITION_MAX)
            positions.setdefault(word, []).append(f"{position}{weight}")
        position += _PG_COLUMN_GAP
    return " ".join(f"'{word}':{','.join(at)}" for word, at in positions.items())


_ONE_PREFIX = re.compile(r"\('[^']*':\*\)")
"""A ``ts_query`` of one word: a single prefix, no phrase, no other term."""


def ts_query(query: str, *, names_only: bool = False) -> str | None:
    """A tsquery literal for what a user typed, as ``match_expression`` for FTS5: every
    term must match as a phrase whose last word is a prefix; ``names_only``: in the name
    column (weight A)."""
    weight = "A" if names_only else ""
    terms = []
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    for term in _TERM.findall(printable):
        words = pg_words(term)
        if not words:
            continue
        phrase = [f"'{w}':{weight}" if weight else f"'{w}'" for w in words[:-1]]
        phrase.append(f"'{words[-1]}':*{weight}")
        terms.append(" <-> ".join(phrase))
    if not terms:
        return None
    return " & ".join(f"({t})" for t in terms)


def _pg_insert(session: Session, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """The documents go in with COPY (the server reads each tsvector literal as the
    column's input): for 100,000 contacts, a second less than as many INSERTs. A
    contact's entry carries its name's sort key beside the document (``name_key``)."""
    if not rows:
        return
    _check_table(table)
    raw: Any = session.connection().connection.dbapi_connection
    if table == CONTACT_TABLE:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} (id, name_key, doc) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row((row[0], row[1], pg_document(row[2:])))
        return
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} (id, doc) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((row[0], pg_document(row[1:])))


def _text(*parts: str | None) -> str:
    """One index column: the parts that are there, folded (see ``fold``)."""
    return index_text(" ".join(filter(None, parts)))


def _parts_text(parts: tuple[str | None, ...]) -> str:
    return _text(*parts)


def contact_document(
    names: Sequence[str | None],
    emails: Iterable[str],
    organisation: Sequence[str | None],
    role: str | None,
    place: Sequence[str | None],
    tags: Iterable[str],
    *,
    part: Callable[[tuple[str | None, ...]], str] = _parts_text,
) -> tuple[str, ...]:
    """A contact's index entry, one value per column of ``CONTACT_COLUMNS``.

    ``names``: the display name first, then the name's parts. A part the display name
    already holds is left out ("Anna Kowalska" and "Anna", "Kowalska"): indexing each
    word twice cost a sixth of the index's size and of an import's indexing time.
    ``part`` folds the columns that repeat down a list (see ``contact_documents``).
    """
    return (
        _text(*_distinct_names(names)),
        _text(*emails),
        part(tuple(organisation)),
        part((role,)),
        part(tuple(place)),
        part(tuple(tags)),
    )


def contact_documents() -> Callable[..., tuple[str, ...]]:
    """``contact_document`` for many contacts at once (an import's): the columns that
    repeat down a list (organisation, role, place, tags) are folded once per distinct
    value, which saves a third of the time of building 100,000 documents."""
    folded: dict[tuple[str | None, ...], str] = {}

    def repeated(parts: tuple[str | None, ...]) -> str:
        text = folded.get(parts)
        if text is None:
            text = folded[parts] = _text(*parts)
        return text

    return partial(contact_document, part=repeated)


def _distinct_names(names: Sequence[str | None]) -> Sequence[str | None]:
    if not names or not names[0]:
        return names
    rest = [n for n in names[1:] if n]
    if " ".join(rest) == names[0]:  # the display name made of the parts, as most are
        return names[:1]
    shown = set(names[0].casefold().split())
    return [names[0], *(n for n in names[1:] if n and not shown.issuperset(n.casefold().split()))]


def organisation_document(
    name: str,
    acronym: str | None,
    contact: Sequence[str | None],
    place: Sequence[str | None],
    tags: Iterable[str],
) -> tuple[str, ...]:
    """An organisation's index entry, one value per column of ``ORGANISATION_COLUMNS``."""
    return (_text(name), _text(acronym), _text(*contact), _text(*place), _text(*tags))


# Reindexing reads the parts of each document in one set-based statement per table and
# builds the documents with the functions above, which an import also calls with the
# values it already holds. Ids come as one JSON array, so any number is one parameter.
_CONTACT_PARTS = """
SELECT c.id, c.display_name_key, c.display_name, c.given_name, c.family_name, c.honorific,
  (SELECT group_concat(e.address, ' ') FROM contact_emails e WHERE e.contact_id = c.id),
  o.name, o.acronym, c.role, c.city, c.country,
  (SELECT group_concat(t.name, ' ') FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
   WHERE ct.contact_id = c.id)
FROM contacts c LEFT JOIN organisations o ON o.id = c.organisation_id
WHERE c.id IN (SELECT value FROM json_each(:ids))
"""
_ORGANISATION_PARTS = """
SELECT o.id, o.name, o.acronym, o.email, o.website, o.phone, o.city, o.country,
  (SELECT group_concat(t.name, ' ') FROM organisation_tags ot JOIN tags t ON t.id = ot.tag_id
   WHERE ot.organisation_id = o.id)
FROM organisations o
WHERE o.id IN (SELECT value FROM json_each(:ids))
"""
_PG_CONTACT_PARTS = _CONTACT_PARTS.replace("group_concat(", "string_agg(").replace(
    "IN (SELECT value FROM json_each(:ids))", "= ANY(CAST(:ids AS integer[]))"
)
_PG_ORGANISATION_PARTS = _ORGANISATION_PARTS.replace("group_concat(", "string_agg(").replace(
    "IN (SELECT value FROM json_each(:ids))", "= ANY(CAST(:ids AS integer[]))"
)
_CHUNK = 5000


def _parts(session: Session, sqlite_sql: str, postgres_sql: str, ids: list[int]) -> Any:
    if _on_postgres(session):
        return session.execute(text(postgres_sql), {"ids": ids})
    return session.execute(text(sqlite_sql), {"ids": json.dumps(ids)})


def _insert(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    if _on_postgres(session):
        _pg_insert(session, table, rows)
        return
    # numbered: a contact's row holds its sort key second, which FTS5 has no column for
    numbers = range(3, len(columns) + 3) if table == CONTACT_TABLE else range(2, len(columns) + 2)
    placeholders = ", ".join(f"?{n}" for n in (1, *numbers))
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES ({placeholders})", rows
        )
    finally:
        cursor.close()


def add_contacts(
    session: Session, documents: Sequence[tuple[Any, ...]], *, new: bool = False
) -> None:
    """Index contacts from documents built by the caller: (id, name key, *contact_document(...)),
    the name key being the contact's ``display_name_key`` (PostgreSQL lists a search's
    first page by it; see ``Matches.first_in_name_order``).

    ``new``: the ids lie past the highest id the table held and ``forget_past`` was
    called with it, so no entry can be there to replace (on 100,000 imported contacts
    the look-ups for entries to replace cost most of a second).
    """
    if not new:
        _delete(session, CONTACT_TABLE, [d[0] for d in documents])
    _insert(session, CONTACT_TABLE, CONTACT_COLUMNS, documents)


def add_organisations(
    session: Session, documents: Sequence[tuple[Any, ...]], *, new: bool = False
) -> None:
    """Index organisations from documents built by the caller: (id, *organisation_document(...)).

    ``new`` as for ``add_contacts``.
    """
    if not new:
        _delete(session, ORGANISATION_TABLE, [d[0] for d in documents])
    _insert(session, ORGANISATION_TABLE, ORGANISATION_COLUMNS, documents)


def forget_past(session: Session, table: str, last_id: int) -> None:
    """Remove the entries of ``table`` (CONTACT_TABLE or ORGANISATION_TABLE) above
    ``last_id``, the highest id its records hold: they can only be stale, and new records
    about to take those ids are then indexed with ``new=True``."""
    _check_table(table)
    key = "id" if _on_postgres(session) else "rowid"
    session.execute(text(f"DELETE FROM {table} WHERE {key} > :last"), {"last": last_id})


_DEFAULT_HASH = 1 << 20
"""FTS5's own size for the terms it gathers before writing them out (1 MB)."""
BULK_HASH = 16 << 20


@contextmanager
def bulk_indexing(session: Session, table: str) -> Iterator[None]:
    """Inside: ``table`` gathers 16 MB of new terms in memory before writing a segment,
    rather than 1 MB, so 100,000 new documents make fewer segments to merge (a fifth
    to a quarter of the indexing time). Set and set back inside the caller's transaction, so
    a rollback leaves the table as it was. On a SQLite without the setting (or another
    database) the block runs as is."""
    _check_table(table)
    changed = _set_hash(session, table, BULK_HASH)
    yield  # on an error the caller's unit of work rolls back, which undoes the setting too
    if changed:
        _set_hash(session, table, _DEFAULT_HASH)


def _set_hash(session: Session, table: str, size: int) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', ?)", (size,))
    except sqlite3.OperationalError:
        return False  # a SQLite whose FTS5 does not know it
    finally:
        cursor.close()
    return True


def _check_table(table: str) -> None:
    """Table names go into SQL text: only the two search tables are taken."""
    if table not in (CONTACT_TABLE, ORGANISATION_TABLE):
        raise ValueError(f"not a search table: {table}")


def _delete(session: Session, table: str, ids: list[int]) -> None:
    if _on_postgres(session):
        session.execute(
            text(f"DELETE FROM {table} WHERE id = ANY(CAST(:ids AS integer[]))"), {"ids": ids}
        )
        return
    session.execute(
        text(f"DELETE FROM {table} WHERE rowid IN (SELECT value FROM json_each(:ids))"),
        {"ids": json.dumps(ids)},
    )


def index_contacts(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these contacts up to date (removing deleted ones)."""
    _require_sqlite(session)
    id_list = sorted(set(ids))
    for start in range(0, len(id_list), _CHUNK):
        chunk = id_list[start : start + _CHUNK]
        _delete(session, CONTACT_TABLE, chunk)
        documents = [
            (
                cid,
                key,
                *contact_document((d, g, f, h), [emails or ""], (o, a), role, (c, k), [tags or ""]),
            )
            for cid, key, d, g, f, h, emails, o, a, role, c, k, tags in _parts(
                session, _CONTACT_PARTS, _PG_CONTACT_PARTS, chunk
            )
        ]
        _insert(session, CONTACT_TABLE, CONTACT_COLUMNS, documents)


def index_organisations(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these organisations up to date (removing deleted ones)."""
    _require_sqlite(session)
    id_list = sorted(set(ids))
    for start in range(0, len(id_list), _CHUNK):
        chunk = id_list[start : start + _CHUNK]
        _delete(session, ORGANISATION_TABLE, chunk)
        documents = [
            (oid, *organisation_document(name, acronym, (e, w, p), (c, k), [tags or ""]))
            for oid, name, acronym, e, w, p, c, k, tags in _parts(
                session, _ORGANISATION_PARTS, _PG_ORGANISATION_PARTS, chunk
            )
        ]
        _insert(session, ORGANISATION_TABLE, ORGANISATION_COLUMNS, documents)


def rebuild(session: Session) -> None:
    """Rebuild both indexes from the tables."""
    _require_sqlite(session)
    session.execute(text(f"DELETE FROM {CONTACT_TABLE}"))
    session.execute(text(f"DELETE FROM {ORGANISATION_TABLE}"))
    contact_ids = list(session.scalars(text("SELECT id FROM contacts")))
    org_ids = list(session.scalars(text("SELECT id FROM organisations")))
    index_contacts(session, contact_ids)
    index_organisations(session, org_ids)


def _search(session: Session, table: str, query: str, limit: int | None) -> list[int]:
    """Matching ids: those whose name matches first, then the others.

    Ranking every match with bm25 costs tens of milliseconds when a prefix
    matches half the table ("m", "example.org"), so there is no scoring: a
    name match is what a coordinator typing means, and each tier comes in
    rowid order, which lets SQLite stop after ``limit`` rows (well under a
    millisecond at 100,000 contacts; see benchmarks/search_bench.py).
    """
    if _on_postgres(session):
        return _pg_search(session, table, query, limit)
    expression = match_expression(query)
    if expression is None:
        return []
    sql = f"SELECT rowid FROM {table} WHERE {table} MATCH :q"
    if limit is None:
        return list(session.scalars(text(sql), {"q": expression}))
    sql += " LIMIT :limit"
    ids = list(session.scalars(text(sql), {"q": f"{{name}} : ({expression})", "limit": limit}))
    if len(ids) < limit:
        seen = set(ids)
        more = session.scalars(text(sql), {"q": expression, "limit": limit + len(ids)})
        ids.extend(i for i in more if i not in seen)
    return ids[:limit]


def _pg_search(session: Session, table: str, query: str, limit: int | None) -> list[int]:
    """``_search`` on PostgreSQL: name matches first, each tier in id order."""
    expression = ts_query(query)
    if expression is None:
        return []
    sql = f"SELECT id FROM {table} WHERE doc @@ CAST(:q AS tsquery) ORDER BY id"
    if limit is None:
        return list(session.scalars(text(sql), {"q": expression}))
    sql += " LIMIT :limit"
    names = ts_query(query, names_only=True)
    ids = list(session.scalars(text(sql), {"q": names, "limit": limit}))
    if len(ids) < limit:
        seen = set(ids)
        more = session.scalars(text(sql), {"q": expression, "limit": limit + len(ids)})
        ids.extend(i for i in more if i not in seen)
    return ids[:limit]


def search_contacts(session: Session, query: str, limit: int | None = 50) -> list[int]:
    """Ids of contacts matching ``query``, name matches first."""
    return _search(session, CONTACT_TABLE, query, limit)


def search_organisations(session: Session, query: str, limit: int | None = 50) -> list[int]:
    """Ids of organisations matching ``query``, name matches first."""
    return _search(session, ORGANISATION_TABLE, query, limit)


def _matching(table: str, query: str, *, postgres: bool = False) -> TextClause | None:
    if postgres:
        found = ts_query(query)
        if found is None:
            return None
        return text(f"SELECT id FROM {table} WHERE doc @@ CAST(:{table}_q AS tsquery)").bindparams(
            **{f"{table}_q": found}
        )
    expression = match_expression(query)
    if expression is None:
        return None
    return text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{table}_q").bindparams(
        **{f"{table}_q": expression}
    )


@dataclass(frozen=True)
class Matches:
    """What a search matches, for a listing to filter by."""

    clause: TextClause
    """``SELECT rowid FROM <table> WHERE <table> MATCH …``: the matching ids."""
    count: int
    """How many there are (counted in the index alone), or, ``whole`` False, how many
    were counted before the count stopped: at least that many."""
    table: str = CONTACT_TABLE
    """The search table matched."""
    tsquery: str | None = None
    """On PostgreSQL, the tsquery literal matched (None on SQLite)."""
    whole: bool = True
    """Whether ``count`` is every match (False: counting stopped there, ``up_to``)."""

    @property
    def on_postgres(self) -> bool:
        return self.tsquery is not None

    def id_array(self) -> ColumnElement[Any]:
        """PostgreSQL: ``ARRAY(SELECT id …)``, the matches read once, before the rows
        that hold them (``id = ANY(...)``), whatever the server guesses of their number."""
        return func.array(self.clause.columns(column("id", Integer)).scalar_subquery())

    @property
    def knows_name_order(self) -> bool:
        """Whether the index entries hold their records' name sort key (PostgreSQL's
        contact entries: ``name_key``), so ``first_in_name_order`` can be asked."""
        return self.tsquery is not None and self.table == CONTACT_TABLE

    def first_in_name_order(
        self, rows: int, *, descending: bool = False, walk: bool = False
    ) -> ColumnElement[Any]:
        """PostgreSQL, contacts: ``ARRAY(...)`` of the ids of the first ``rows`` matches in
        name order (``display_name_key``, then id), found among the index entries alone.

        ``walk`` False (few matches): every match is read, then sorted, the server kept
        from walking the name order (``OFFSET 0`` keeps the inner query whole): 2-3 ms
        for the 1,925 matches of "kow" at 100,000 contacts, where the walk would go
        through most entries for matches whose names sort last. ``walk`` True (many):
        the entries are read in name order (``ix_contact_search_name_key``) until
        ``rows`` match, ~1 ms for a letter's."""
        assert self.knows_name_order, "first_in_name_order() needs entries with the key"
        order = "name_key DESC, id DESC" if descending else "name_key, id"
        matching = f"FROM {CONTACT_TABLE} WHERE doc @@ CAST(:first_q AS tsquery)"
        if not walk:
            matching = f"FROM (SELECT id, name_key {matching} OFFSET 0) AS found"
        first = text(f"SELECT id {matching} ORDER BY {order} LIMIT :first_rows").bindparams(
            first_q=self.tsquery, first_rows=rows
        )
        return func.array(first.columns(column("id", Integer)).scalar_subquery())

    def row_matches(self, id_column: Any) -> ColumnElement[bool]:
        """PostgreSQL: whether the row of ``id_column`` matches, looked up by its id in
        the search table (a subquery the server cannot turn into a join, so a walk of
        the name index checks each row it meets rather than reading every match)."""
        assert self.tsquery is not None, "row_matches() is PostgreSQL's"
        entry = sql_table(self.table, column("id", Integer), column("doc")).alias("found")
        return (
            select(entry.c.doc.op("@@")(cast(literal(self.tsquery), TSQUERY)))
            .where(entry.c.id == id_column)
            .scalar_subquery()
        )


def matches(
    session: Session, table: str, query: str, *, up_to: int | None = None
) -> Matches | None:
    """The ids matching ``query`` as a subquery, with their count; None when nothing does.
    ``up_to``: counting may stop there (see ``count_matches``; ``Matches.whole`` says
    whether it did).

    One pass over the index tells both how many match (the count beside a table) and
    how a listing should find its page: from the matches when they are few, by walking
    the name index when they are many (see ``domain.browse``). The ids stay in SQLite;
    fetching a thousand of them into Python to decide cost more than counting them.
    """
    postgres = _on_postgres(session)
    clause = _matching(table, query, postgres=postgres)
    if clause is None:
        return None
    count = count_matches(session, table, query, up_to=up_to)
    if not count:
        return None
    whole = not postgres or up_to is None or count < up_to
    return Matches(clause, count, table, ts_query(query) if postgres else None, whole)


def matching_contacts(query: str) -> TextClause | None:
    """A subquery of the ids of matching contacts, to filter and page a listing in SQL
    (``Contact.id.in_(...)``); None when the query has no searchable word."""
    return _matching(CONTACT_TABLE, query)


def count_matches(session: Session, table: str, query: str, *, up_to: int | None = None) -> int:
    """How many records of ``table`` match ``query`` (the count beside a searched table).

    SQLite counts in its index alone, without touching the records: a prefix that
    matches half of 100,000 contacts is counted in a few milliseconds. PostgreSQL
    checks each match's row for whether this transaction sees it (a GIN index holds no
    visibility), ~0.6 µs a match: 12-25 ms for a letter's 20,000-45,000 matches. There
    ``up_to`` is for a caller that only needs to know whether there are so many
    (SQLite counts them all: it costs no more): for one word typed, when the server's
    statistics foresee twice that many or more (``EXPLAIN``, ~1 ms: a word's share of
    the documents is kept per word, so a prefix's is foreseen within a few percent)
    they are trusted and nothing is counted; otherwise the count stops at ``up_to``.
    Several words are always counted: the statistics multiply their shares as if they
    were independent, and words in a phrase as if their order did not matter, so
    "org.example" (no address has it) was foreseen at 60,000, and its first page then
    walked through every entry to find none (70 ms).
    """
    if _on_postgres(session):
        found = ts_query(query)
        if found is None:
            return 0
        rows = f"SELECT 1 FROM {table} WHERE doc @@ CAST(:q AS tsquery)"
        if up_to is not None:
            if _ONE_PREFIX.fullmatch(found):
                plan = session.scalar(text(f"EXPLAIN (FORMAT JSON) {rows}"), {"q": found})
                if plan[0]["Plan"]["Plan Rows"] >= 2 * up_to:
                    return up_to
            rows += f" LIMIT {int(up_to)}"
        sql = f"SELECT count(*) FROM ({rows}) AS counted"
        return int(session.scalar(text(sql), {"q": found}) or 0)
    expression = match_expression(query)
    if expression is None:
        return 0
    cursor = session.connection().connection.cursor()  # the lean path: see ``Matches``
    try:
        (count,) = cursor.execute(
            f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (expression,)
        ).fetchone()
    finally:
        cursor.close()
    return int(count)
