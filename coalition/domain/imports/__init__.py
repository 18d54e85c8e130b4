"""Importing many people and organisations at once: plan, apply, undo.

A package of four steps: ``records`` (what is read), ``plan`` (normalise each row
(``checks``), fold the file, match), ``apply`` (one batch, one transaction) and ``undo``;
``run`` takes a file through them a window at a time; and ``statuses``, the
answers coming back from mail tools (sent, opened, bounced …), planned and applied as a
batch of their own that undoes the same way.

The file formats end in ``interchange/``; this module sees ``ContactRecord``s,
one per row or card, with the organisation they name.

*Plan* normalises every record with the same rules as a single ``contact
add`` (invalid values are kept and flagged, never dropped), then decides per
record: create, update, merge, duplicate of an existing contact (skipped),
merged into an earlier row of the same file, or error — with the reason.

*Apply* writes the plan as one batch in one transaction: new rows go in with
bulk ``INSERT`` executemany (ORM objects one by one are ~20x slower), each
carrying the batch id; rows the batch changes have their earlier values saved
in ``import_changes``. A crash or a kill at any point leaves no trace of the
batch, because nothing is committed until the end.

*Undo* removes what the batch created and restores what it changed, and
refuses when later work depends on it (a contact edited since, outreach logged
with a person it created, a sign-on moved since) rather than silently losing
that work, naming it; asked to, it takes that work back too when it can.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# What each name comes from. Loaded when first asked for (PEP 562): reading and checking a
# file's rows needs ``records`` and ``checks`` alone, and a second process doing just that
# (``interchange.feed``) starts without SQLAlchemy, which the rest loads.
_FROM = {
    "apply": ("BatchView", "apply_plan", "batch_view"),
    "checks": ("PlannedRow",),
    "plan": ("Plan", "change_marker", "plan_import"),
    "records": (
        "CHUNK", "CLEARABLE_CONTACT_FIELDS", "CLEARABLE_ORGANISATION_FIELDS", "COUNT_LABELS",
        "ON_DUPLICATE", "ORGANISATION_RECORD_FIELDS", "ContactRecord", "ImportOptions",
        "OrganisationRecord", "Progress", "StatusMeaning", "StatusRecord", "count_summary",
        "records_phrase", "signon_status_from", "WINDOW",
    ),
    "run": ("Lines", "Outcome", "import_records", "rehearse"),
    "statuses": ("StatusPlan", "apply_statuses", "plan_statuses"),
    "undo": (
        "LaterGroup", "LaterWork", "Undone", "list_batches", "undo_batch", "undo_import",
        "undo_preview",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

if TYPE_CHECKING:
    from coalition.domain.imports.apply import BatchView, apply_plan, batch_view
    from coalition.domain.imports.checks import PlannedRow
    from coalition.domain.imports.plan import Plan, change_marker, plan_import
    from coalition.domain.imports.records import (
        CHUNK,
        CLEARABLE_CONTACT_FIELDS,
        CLEARABLE_ORGANISATION_FIELDS,
        COUNT_LABELS,
        ON_DUPLICATE,
        ORGANISATION_RECORD_FIELDS,
        WINDOW,
        ContactRecord,
        ImportOptions,
        OrganisationRecord,
        Progress,
        StatusMeaning,
        StatusRecord,
        count_summary,
        records_phrase,
        signon_status_from,
    )
    from coalition.domain.imports.run import Lines, Outcome, import_records, rehearse
    from coalition.domain.imports.statuses import StatusPlan, apply_statuses, plan_statuses
    from coalition.domain.imports.undo import (
        LaterGroup,
        LaterWork,
        Undone,
        list_batches,
        undo_batch,
        undo_import,
        undo_preview,
    )


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CHUNK",
    "CLEARABLE_CONTACT_FIELDS",
    "CLEARABLE_ORGANISATION_FIELDS",
    "COUNT_LABELS",
    "ON_DUPLICATE",
    "ORGANISATION_RECORD_FIELDS",
    "WINDOW",
    "BatchView",
    "ContactRecord",
    "ImportOptions",
    "LaterGroup",
    "LaterWork",
    "Lines",
    "OrganisationRecord",
    "Outcome",
    "Plan",
    "PlannedRow",
    "Progress",
    "StatusMeaning",
    "StatusPlan",
    "StatusRecord",
    "Undone",
    "apply_plan",
    "apply_statuses",
    "batch_view",
    "change_marker",
    "count_summary",
    "import_records",
    "list_batches",
    "plan_import",
    "plan_statuses",
    "records_phrase",
    "rehearse",
    "signon_status_from",
    "undo_batch",
    "undo_import",
    "undo_preview",
]
