"""``keys.one_of``: "column IN these values" as one parameter, on both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from coalition.domain import people
from coalition.store.keys import one_of
from coalition.store.models import Contact


def _found(db: Any, column: Any, values: list[Any]) -> list[str]:
    with db.read_session() as s:
        return sorted(s.scalars(select(Contact.display_name).where(one_of(column, values))))


def test_one_of_finds_exactly_the_records_listed(db: Any, unit: Any) -> None:
    with unit() as w:
        ids = [
            people.add_contact(w, given_name=given, family_name="Ødegård").contact.id
            for given in ("Ana", "Émile", "Zoë", "Björn")
        ]
    assert _found(db, Contact.id, [ids[0], ids[2], 999_999]) == ["Ana Ødegård", "Zoë Ødegård"]
    assert _found(db, Contact.id, []) == []
    # text with accents, as the names' keys hold it, one of them asked twice
    with db.read_session() as s:
        keys = dict(s.execute(select(Contact.display_name, Contact.display_name_key)).all())
    wanted = [keys["Émile Ødegård"], keys["Björn Ødegård"], keys["Björn Ødegård"], "nobody"]
    assert _found(db, Contact.display_name_key, wanted) == ["Björn Ødegård", "Émile Ødegård"]


def test_a_value_longer_than_the_column_is_not_cut_to_fit(db: Any, unit: Any) -> None:
    """On PostgreSQL a cast to the column's varchar(400) would cut a longer value and match
    a stored one it only begins like."""
    with unit() as w:
        cid = people.add_contact(w, given_name="Long", family_name="Name").contact.id
        w.session.execute(
            update(Contact).where(Contact.id == cid).values(display_name_key="k" * 400)
        )
    assert _found(db, Contact.display_name_key, ["k" * 400]) == ["Long Name"]
    assert _found(db, Contact.display_name_key, ["k" * 450]) == []
