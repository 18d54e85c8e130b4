"""Full-text search over organisations and contacts.

SQLite: two FTS5 tables (``contact_search`` and ``organisation_search``) whose
rowid is the record's id, tokenised with ``unicode61 remove_diacritics 2`` so
"muller" finds "Müller" and "emilie" finds "Émilie", with a prefix index on
2-4 characters so search-as-you-type stays well under a millisecond at
100,000 contacts. Each table has one column per kind of text so that a name
match can be listed before a match in a tag or a city.

The index is kept current by the domain layer, which calls
``index_contacts``/``index_organisations`` after each change: documents are
built here by plain SQL over ids, so an import of 100,000 rows reindexes in a
few set-based statements instead of touching ORM objects.

Every statement that only SQLite understands stays in this module; a
PostgreSQL variant (tsvector + unaccent) would sit beside it behind the same
functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from coalition.errors import DatabaseError
from coalition.text import strip_accents

CONTACT_TABLE = "contact_search"
ORGANISATION_TABLE = "organisation_search"
TOKENIZE = "unicode61 remove_diacritics 2"
PREFIX = "2 3 4"

CONTACT_COLUMNS = ("name", "emails", "organisation", "role", "place", "tags")
ORGANISATION_COLUMNS = ("name", "acronym", "contact", "place", "tags")

_TERM = re.compile(r"\S+")
_WORDISH = re.compile(r"\w", re.UNICODE)


def create_index_sql(dialect: str) -> list[str]:
    """DDL for the search tables; used by the migrations."""
    if dialect != "sqlite":
        return []
    return [
        f"CREATE VIRTUAL TABLE {CONTACT_TABLE} USING fts5("
        f"{', '.join(CONTACT_COLUMNS)}, tokenize = '{TOKENIZE}', prefix = '{PREFIX}')",
        f"CREATE VIRTUAL TABLE {ORGANISATION_TABLE} USING fts5("
        f"{', '.join(ORGANISATION_COLUMNS)}, tokenize = '{TOKENIZE}', prefix = '{PREFIX}')",
    ]


def is_index_table(name: str) -> bool:
    """True for the FTS tables and their shadow tables (kept out of schema comparisons)."""
    return name.startswith((CONTACT_TABLE, ORGANISATION_TABLE))


def fold(text: str) -> str:
    """Strip accents from every script before indexing and querying.

    ``remove_diacritics 2`` folds Latin letters only; doing it here as well
    makes "ελενη" find "Ελένη" too. Index and query are folded alike, so the
    match stays consistent for every script. Text within Latin-1 and Latin
    Extended-A/B is left to the tokenizer, which folds it the same way at C
    speed (most of a European address book).
    """
    if not text or max(text) < _BEYOND_BASIC_LATIN:
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
    for term in _TERM.findall(fold(printable)):
        if not _WORDISH.search(term):
            continue
        parts.append('"' + term.replace('"', '""') + '"*')
    if not parts:
        return None
    return " AND ".join(parts)


def _require_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        raise DatabaseError("Full-text search is only available on SQLite databases so far.")


def sql_fold(text: str | None) -> str:
    """``coalition_fold()`` in SQL: registered on every SQLite connection (store.database)."""
    return fold(text) if text else ""


def _both(a: str, b: str) -> str:
    return f"coalesce({a}, '') || ' ' || coalesce({b}, '')"


_NAMES = _both(_both("c.display_name", "c.given_name"), _both("c.family_name", "c.honorific"))

# Documents are built and inserted by one set-based statement per table: no row
# travels through Python except through coalition_fold(). Ids come as one JSON
# array, so any number of them is one parameter.
_CONTACT_DOCUMENTS = f"""
INSERT INTO {CONTACT_TABLE} (rowid, {", ".join(CONTACT_COLUMNS)})
SELECT c.id,
  coalition_fold({_NAMES}),
  coalition_fold((SELECT group_concat(e.address, ' ') FROM contact_emails e
                  WHERE e.contact_id = c.id)),
  coalition_fold({_both("o.name", "o.acronym")}),
  coalition_fold(c.role),
  coalition_fold({_both("c.city", "c.country")}),
  coalition_fold((SELECT group_concat(t.name, ' ') FROM contact_tags ct
                  JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id))
FROM contacts c LEFT JOIN organisations o ON o.id = c.organisation_id
WHERE c.id IN (SELECT value FROM json_each(:ids))
"""
_ORGANISATION_DOCUMENTS = f"""
INSERT INTO {ORGANISATION_TABLE} (rowid, {", ".join(ORGANISATION_COLUMNS)})
SELECT o.id,
  coalition_fold(o.name),
  coalition_fold(o.acronym),
  coalition_fold({_both(_both("o.email", "o.website"), "o.phone")}),
  coalition_fold({_both("o.city", "o.country")}),
  coalition_fold((SELECT group_concat(t.name, ' ') FROM organisation_tags ot
                  JOIN tags t ON t.id = ot.tag_id WHERE ot.organisation_id = o.id))
FROM organisations o
WHERE o.id IN (SELECT value FROM json_each(:ids))
"""


def _reindex(session: Session, table: str, documents_sql: str, ids: Iterable[int]) -> None:
    _require_sqlite(session)
    id_list = sorted(set(ids))
    if not id_list:
        return
    payload = {"ids": json.dumps(id_list)}
    session.execute(
        text(f"DELETE FROM {table} WHERE rowid IN (SELECT value FROM json_each(:ids))"), payload
    )
    session.execute(text(documents_sql), payload)


def index_contacts(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these contacts up to date (removing deleted ones)."""
    _reindex(session, CONTACT_TABLE, _CONTACT_DOCUMENTS, ids)


def index_organisations(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these organisations up to date (removing deleted ones)."""
    _reindex(session, ORGANISATION_TABLE, _ORGANISATION_DOCUMENTS, ids)


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
    _require_sqlite(session)
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


def search_contacts(session: Session, query: str, limit: int | None = 50) -> list[int]:
    """Ids of contacts matching ``query``, name matches first."""
    return _search(session, CONTACT_TABLE, query, limit)


def search_organisations(session: Session, query: str, limit: int | None = 50) -> list[int]:
    """Ids of organisations matching ``query``, name matches first."""
    return _search(session, ORGANISATION_TABLE, query, limit)


def _matching(table: str, query: str) -> TextClause | None:
    expression = match_expression(query)
    if expression is None:
        return None
    return text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{table}_q").bindparams(
        **{f"{table}_q": expression}
    )


def few_matches(session: Session, table: str, query: str, cap: int) -> list[int] | None:
    """The ids matching ``query`` when there are fewer than ``cap`` of them, else None.

    A listing sorted by name pages best by walking the name index when
    matches are many, and by sorting the matches when they are few; this
    tells which, at the cost of reading at most ``cap`` rowids.
    """
    _require_sqlite(session)
    expression = match_expression(query)
    if expression is None:
        return []
    ids = list(
        session.scalars(
            text(f"SELECT rowid FROM {table} WHERE {table} MATCH :q LIMIT :cap"),
            {"q": expression, "cap": cap},
        )
    )
    return ids if len(ids) < cap else None


def listing_filter(session: Session, table: str, query: str) -> list[int] | TextClause:
    """What a name-sorted listing filters its ids by: the matching ids themselves when
    they are few (sorting them is cheap), else a subquery (walking the name index
    finds a page quickly). An empty list means nothing matches."""
    few = few_matches(session, table, query, cap=1000)
    if few is not None:
        return few
    clause = _matching(table, query)
    return [] if clause is None else clause


def matching_contacts(query: str) -> TextClause | None:
    """A subquery of the ids of matching contacts, to filter and page a listing in SQL
    (``Contact.id.in_(...)``); None when the query has no searchable word."""
    return _matching(CONTACT_TABLE, query)
