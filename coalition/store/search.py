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

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

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

CHUNK = 500
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
    match stays consistent for every script.
    """
    return strip_accents(text)


def match_expression(query: str) -> str | None:
    """An FTS5 query for what a user typed: every word must match, the last as a prefix.

    Each whitespace-separated term becomes a quoted phrase (so punctuation in
    "emilie.m" or "a@b.org" is safe and still matches the tokens in order) and
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


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _in_list(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def _join(values: Iterable[str | None]) -> str:
    return " ".join(v for v in values if v)


def _contact_documents(session: Session, ids: Sequence[int]) -> list[dict[str, object]]:
    where = _in_list(ids)
    emails: dict[int, list[str]] = defaultdict(list)
    for contact_id, address in session.execute(
        text(f"SELECT contact_id, address FROM contact_emails WHERE contact_id IN ({where})")
    ):
        emails[contact_id].append(address)
    tags: dict[int, list[str]] = defaultdict(list)
    for contact_id, name in session.execute(
        text(
            "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
            f"WHERE ct.contact_id IN ({where})"
        )
    ):
        tags[contact_id].append(name)
    rows = session.execute(
        text(
            "SELECT c.id, c.display_name, c.given_name, c.family_name, c.honorific, c.role, "
            "c.city, c.country, o.name, o.acronym "
            "FROM contacts c LEFT JOIN organisations o ON o.id = c.organisation_id "
            f"WHERE c.id IN ({where})"
        )
    )
    documents = []
    for cid, display, given, family, honorific, role, city, country, org, acronym in rows:
        documents.append(
            {
                "rowid": cid,
                "name": _join([display, given, family, honorific]),
                "emails": " ".join(emails.get(cid, [])),
                "organisation": _join([org, acronym]),
                "role": role or "",
                "place": _join([city, country]),
                "tags": " ".join(tags.get(cid, [])),
            }
        )
    return documents


def _organisation_documents(session: Session, ids: Sequence[int]) -> list[dict[str, object]]:
    where = _in_list(ids)
    tags: dict[int, list[str]] = defaultdict(list)
    for org_id, name in session.execute(
        text(
            "SELECT ot.organisation_id, t.name FROM organisation_tags ot "
            f"JOIN tags t ON t.id = ot.tag_id WHERE ot.organisation_id IN ({where})"
        )
    ):
        tags[org_id].append(name)
    rows = session.execute(
        text(
            "SELECT id, name, acronym, email, website, phone, city, country "
            f"FROM organisations WHERE id IN ({where})"
        )
    )
    documents = []
    for oid, name, acronym, email, website, phone, city, country in rows:
        documents.append(
            {
                "rowid": oid,
                "name": name or "",
                "acronym": acronym or "",
                "contact": _join([email, website, phone]),
                "place": _join([city, country]),
                "tags": " ".join(tags.get(oid, [])),
            }
        )
    return documents


def _reindex(
    session: Session,
    table: str,
    columns: Sequence[str],
    ids: Iterable[int],
    build: object,
) -> None:
    _require_sqlite(session)
    id_list = sorted(set(ids))
    insert = text(
        f"INSERT INTO {table} (rowid, {', '.join(columns)}) "
        f"VALUES (:rowid, {', '.join(':' + c for c in columns)})"
    )
    for chunk in _chunks(id_list):
        session.execute(text(f"DELETE FROM {table} WHERE rowid IN ({_in_list(chunk)})"))
        documents = build(session, chunk)  # type: ignore[operator]
        for document in documents:
            for column in columns:
                document[column] = fold(document[column])
        if documents:
            session.execute(insert, documents)


def index_contacts(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these contacts up to date (removing deleted ones)."""
    _reindex(session, CONTACT_TABLE, CONTACT_COLUMNS, ids, _contact_documents)


def index_organisations(session: Session, ids: Iterable[int]) -> None:
    """Bring the index entries of these organisations up to date (removing deleted ones)."""
    _reindex(session, ORGANISATION_TABLE, ORGANISATION_COLUMNS, ids, _organisation_documents)


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


def matching_contacts(query: str) -> TextClause | None:
    """A subquery of the ids of matching contacts, to filter and page a listing in SQL
    (``Contact.id.in_(...)``); None when the query has no searchable word."""
    return _matching(CONTACT_TABLE, query)


def matching_organisations(query: str) -> TextClause | None:
    """As ``matching_contacts``, for organisations."""
    return _matching(ORGANISATION_TABLE, query)
