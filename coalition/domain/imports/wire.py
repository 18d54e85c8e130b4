"""Planned rows as bytes, to pass a window of them from one process to another.

A big import reads and checks its rows in a second process while this one plans and
writes (``interchange.feed``). Pickling the rows themselves cost 13 µs a row to write and
44 µs to read back (each record and planned row rebuilt attribute by attribute), about
what checking a row costs, so nothing was gained. Here a row travels as a tuple of plain
values, its record's fields in order, and each organisation once per window (the rows
naming one share its record, as the reader made them): ~2 µs a row each way.

Only rows fresh from ``plan.normalised_rows`` travel (nothing matched yet): their source,
record, warnings, emails and phones.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

from coalition.domain.imports.checks import PlannedRow
from coalition.domain.imports.records import ContactRecord, OrganisationRecord

_CONTACT_FIELDS = tuple(f.name for f in fields(ContactRecord))
_ORGANISATION_AT = _CONTACT_FIELDS.index("organisation")
_contact_values = attrgetter(*_CONTACT_FIELDS)
_organisation_values = attrgetter(*(f.name for f in fields(OrganisationRecord)))


def encode(rows: Sequence[PlannedRow]) -> bytes:
    """A window of normalised rows as bytes (``decode`` gives them back)."""
    organisations: list[tuple[Any, ...]] = []
    numbered: dict[int, int] = {}
    encoded = []
    for row in rows:
        assert row.normalised, "only rows fresh from normalised_rows travel"
        values = _contact_values(row.record)
        org = values[_ORGANISATION_AT]
        if org is not None:
            number = numbered.get(id(org))
            if number is None:
                number = numbered[id(org)] = len(organisations)
                organisations.append(_organisation_values(org))
            values = (*values[:_ORGANISATION_AT], number, *values[_ORGANISATION_AT + 1 :])
        encoded.append((row.source, values, row.warnings, row.emails, row.phones))
    return pickle.dumps((organisations, encoded), protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> list[PlannedRow]:
    """The rows ``encode`` wrote, each organisation one record shared by its rows again."""
    organisations, encoded = pickle.loads(data)
    shared = [OrganisationRecord(*values) for values in organisations]
    rows = []
    for source, values, warnings, emails, phones in encoded:
        number = values[_ORGANISATION_AT]
        if number is not None:
            values = (
                *values[:_ORGANISATION_AT],
                shared[number],
                *values[_ORGANISATION_AT + 1 :],
            )
        record = ContactRecord(*values)
        rows.append(
            PlannedRow(
                source,
                "create",
                "",
                record,
                warnings=warnings,
                emails=emails,
                phones=phones,
                normalised=True,
            )
        )
    return rows
