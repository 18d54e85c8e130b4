"""``column IN (many values)`` as one statement, whatever the number of values.

SQLAlchemy renders ``column.in_(values)`` with one parameter per value, so each count of
values is a statement text of its own, and the database driver keeps the last 128 it
prepared: with 900 values a statement holds about 0.9 MB in SQLite, and an import's
windows, each ending on another count, filled that cache to over 100 MB (issue 16: memory
grew with the file). ``one_of`` passes the values as one JSON parameter and reads them on
the server (SQLite's ``json_each``, PostgreSQL's ``json_array_elements_text``): one
statement text for any number of values, and no bound-parameter limit to chunk around.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Boolean, Integer, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class _OneOf(ColumnElement[bool]):
    """``column`` equals one of the values in the JSON array ``values`` holds."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own shape for it)
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], values: BindParameter[str]) -> None:
        self.column = column
        self.values = values


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` for text or integer ``values``, as one parameter (module notes).
    An empty ``values`` matches nothing."""
    array = json.dumps(list(values), ensure_ascii=False)
    return _OneOf(column, bindparam(None, array, type_=String(), unique=True))


@compiles(_OneOf)
def _sqlite(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(_OneOf, "postgresql")
def _postgresql(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    values = f"json_array_elements_text(CAST({compiler.process(element.values, **kw)} AS json))"
    # integers are read as such (an int4 column's index takes an int8 compare); text stays
    # text, never cast to the column's varchar(n), which would cut a longer value to fit
    value = "CAST(v AS BIGINT)" if isinstance(element.column.type, Integer) else "v"
    return f"{column} IN (SELECT {value} FROM {values} AS one_of(v))"


def among(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` for the few ids of a page (a listing's hundred rows).

    PostgreSQL: ``= ANY`` of one array parameter; a hundred parameters cost the driver
    and SQLAlchemy ~1 ms to render and parse at each keystroke of a search. SQLite: the
    plain ``IN``, which its statement cache keeps (``one_of``'s ``json_each`` would have
    it plan a scan of the table: 20 ms for a page at 100,000 contacts).
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer), unique=True))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]
