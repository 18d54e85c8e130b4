"""The plan of an import as the wizard's preview shows it: the rows that need attention
first, at most ``PREVIEW_ROWS`` of them.

A plan of 100,000 rows is never put in a DataTable: the preview holds at most
``PREVIEW_ROWS`` rows, those that need attention (errors, likely duplicate
organisations, duplicates, warnings) first; the counts cover every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from coalition.domain.imports import Plan, PlannedRow
    from coalition.interchange.importer import Source

PREVIEW_ROWS = 500
"""Rows of the plan shown in the preview table (every row is counted in the summary)."""


ATTENTION_STYLES = {
    "error": "bold red",
    "likely duplicate": "bold yellow",
    "duplicate": "magenta",
    "warning": "yellow",
    "": "",
}


@dataclass(frozen=True)
class PreviewRow:
    """One row of the plan as the preview table shows it."""

    source: str
    action: str
    name: str
    email: str
    organisation: str
    note: str
    attention: str
    """"error", "likely duplicate", "duplicate", "warning" or "" (nothing to check)."""


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    """At most ``PREVIEW_ROWS``, those needing attention first, each group in file order."""
    total: int
    needing_attention: int


def reading(source: Source) -> str:
    """How the encoding chosen for a CSV file reads a few of its accented values, shown
    beside the plan so that a wrong one is seen before anything is imported; "" when
    there is nothing to show."""
    from coalition.interchange.importer import encoding_sample

    sample = encoding_sample(source)
    if not sample:
        return ""
    return (
        f"{sample}. If these look wrong, import the file from the command line with "
        "--encoding NAME."
    )


_RANK = {"error": 0, "likely duplicate": 1, "duplicate": 2, "warning": 3, "": 4}


def preview(
    plan: Plan, problems: Iterable[tuple[str, str]] = (), limit: int = PREVIEW_ROWS
) -> Preview:
    """The rows to show for ``plan`` (and the rows the reader could not read at all)."""
    shown = Previewing(limit)
    shown.add(plan)
    return shown.done(problems)


class Previewing:
    """A preview gathered as an import's windows are planned (``imports.rehearse``'s
    ``observe``): every row is classified and counted, but only the first ``limit`` of each
    kind are turned into preview rows: 100,000 rows cost one pass, not 100,000 objects."""

    def __init__(self, limit: int = PREVIEW_ROWS) -> None:
        self.limit = limit
        self.buckets: list[list[PreviewRow]] = [[] for _ in _RANK]
        self.counts = [0] * len(_RANK)

    def add(self, plan: Plan) -> None:
        for row in plan.rows:
            attention = _attention(row)
            rank = _RANK[attention]
            self.counts[rank] += 1
            if len(self.buckets[rank]) < self.limit:
                self.buckets[rank].append(_preview_row(row, attention))

    def done(self, problems: Iterable[tuple[str, str]] = ()) -> Preview:
        """The preview, with the rows the reader could not read first."""
        buckets = [list(b) for b in self.buckets]
        counts = list(self.counts)
        unread = [
            PreviewRow(where, "error", "", "", "", message, "error") for where, message in problems
        ]
        counts[_RANK["error"]] += len(unread)
        buckets[_RANK["error"]] = (unread + buckets[_RANK["error"]])[: self.limit]
        shown: list[PreviewRow] = []
        for bucket in buckets:
            shown.extend(bucket[: self.limit - len(shown)])
        total = sum(counts)
        return Preview(shown, total, total - counts[_RANK[""]])


def _attention(row: PlannedRow) -> str:
    if row.action == "error":
        return "error"
    if row.org_action == "create" and "likely duplicate" in row.org_note:
        return "likely duplicate"
    if row.action in ("duplicate", "in-file duplicate"):
        return "duplicate"
    if row.warnings or (row.writes and any(not e[3] for e in row.emails)):
        return "warning"
    return ""


def _preview_row(row: PlannedRow, attention: str) -> PreviewRow:
    r = row.record
    name = r.display_name or r.full_name or " ".join(p for p in (r.given_name, r.family_name) if p)
    email = row.emails[0][0] if row.emails else (r.emails[0][0] if r.emails else "")
    notes = [] if row.action == "create" else [row.reason]
    if row.org_action == "create" and not row.organisation_match:
        notes.append(row.org_note)  # "new organisation"
    elif row.organisation_match:  # recognised under another spelling, or likely so
        notes.append(row.organisation_match)
    notes.extend(row.warnings)  # invalid emails kept, sign-on answers not understood …
    if row.signon:
        notes.append(f"sign-on: {row.signon}")
    return PreviewRow(
        row.source,
        row.action,
        name or "",
        email,
        r.organisation.name if r.organisation else "",
        "; ".join(n for n in notes if n),
        attention,
    )
