"""What a filter means, said once for every list, export and report.

A filter is written here as a query condition on the columns the caller's query
holds, so the command line's lists, the terminal app's filtered tables and the
exports select the same records for the same words — however each query is
planned around it.

Country: a person is in the country of their own address, else in their
organisation's. Someone with an address in France who works for a Belgian
organisation is in France; someone with no country of their own at that Belgian
organisation is in Belgium.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.sql import ColumnElement


def contact_in_country(
    code: str | None, own: Any, organisation_is_in_it: ColumnElement[bool]
) -> ColumnElement[bool]:
    """A contact in country ``code``: ``own`` is the contact's country column;
    ``organisation_is_in_it`` says their organisation is in ``code`` (a joined
    organisation's ``country == code``, or an ``organisation_id IN (…)``)."""
    return or_(own == code, and_(own.is_(None), organisation_is_in_it))


def contact_country(own: Any, organisation: Any) -> Any:
    """A contact's country as a value: their own, else their organisation's (the value a
    Country column shows and sorts by)."""
    return func.coalesce(own, organisation)


__all__ = ["contact_country", "contact_in_country"]
