"""A whole file through plan and apply, a window of rows at a time.

A file of 10,000 rows or fewer (nearly every file a coordinator has) is one window: it is
planned and written exactly as ``plan_import`` and ``apply_plan`` do. A bigger one is
read, planned and written window by window inside the batch's one transaction, so memory
holds one window, not the file (besides what the import keeps of what it created: the
new organisations, to find them again, and a row number per new contact, to name it),
while the batch stays all or nothing: a crash or Ctrl+C in any window leaves no trace.

Each window is matched against the database as the earlier windows left it, so a person
or an organisation an earlier window created is found like a stored one: a later row with
the address of a person created from row 12 is folded into them ("same email as row 12;
merged into it"), as it would be within one window (``plan.Carry``).

A dry run of a file of one window plans it on a snapshot, with no lock. A dry run of a
bigger file needs the earlier windows written to plan the later ones: it runs the import
in a transaction that is always rolled back (``Database.rehearsal``), so it waits for
another writer as an import does, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from coalition.domain.audit import Work
from coalition.domain.imports.apply import (
    BatchView,
    apply_window,
    close_batch,
    next_id,
    open_batch,
    refuse_repeat,
)
from coalition.domain.imports.checks import PlannedRow
from coalition.domain.imports.plan import (
    Carry,
    Plan,
    dating_phrase,
    plan_import,
    previous_batch,
)
from coalition.domain.imports.records import WINDOW, ContactRecord, ImportOptions, Progress
from coalition.memory import collector_paused
from coalition.store.bulk import page_cache
from coalition.store.database import Database
from coalition.store.models import Contact

Observer = Callable[[Plan], None]
"""Told of each window's plan once it is made (and written): the report, the app's preview."""


@dataclass
class Lines:
    """The first few lines of one kind an import has to say, and how many there were."""

    limit: int = 10
    shown: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, line: str) -> None:
        self.total += 1
        if len(self.shown) < self.limit:
            self.shown.append(line)


@dataclass
class Outcome:
    """What an import planned (a dry run) or did, over all its windows: what the command
    line and the app say of it. The rows themselves go to observers as each window is
    done (the report, the preview), never all held."""

    options: ImportOptions
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    matches: Lines = field(default_factory=Lines)
    """Each distinct match made and its rule (``Plan.matches``)."""
    notes: Lines = field(default_factory=Lines)
    """"row 7: …": errors, skipped erased people, warnings."""
    previous_batch: int | None = None
    """A batch that imported this same file, not undone."""
    answer_reading: str | None = None
    batch: BatchView | None = None
    """The batch written (None for a dry run)."""
    _first_answer: dt.datetime | None = None
    _last_answer: dt.datetime | None = None
    _undated: int = 0

    def add(self, plan: Plan, counts: dict[str, int]) -> None:
        self.rows += len(plan.rows)
        self.counts.update(counts)
        self.answer_reading = self.answer_reading or plan.answer_reading
        for line in plan.matches():
            self.matches.add(line)
        for row in plan.rows:
            if row.action in ("error", "erased"):
                self.notes.add(f"{row.source}: {row.reason}")
            for warning in row.warnings:
                self.notes.add(f"{row.source}: {warning}")
            if row.signon and row.speaks_for_organisation:
                at = row.answered_at
                if at is None:
                    self._undated += 1
                    continue
                if self._first_answer is None or at < self._first_answer:
                    self._first_answer = at
                if self._last_answer is None or at > self._last_answer:
                    self._last_answer = at

    def dating(self) -> str | None:
        """How the sign-ons are dated (``Plan.dating``), over every window."""
        dated = [t for t in (self._first_answer, self._last_answer) if t is not None]
        return dating_phrase(dated, self._undated, self.answer_reading)


@collector_paused()
def import_records(
    work: Work,
    records: Iterable[ContactRecord | PlannedRow],
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    observe: Observer | None = None,
    window: int = WINDOW,
    rehearsal: bool = False,
) -> Outcome:
    """Import ``records`` as one batch in ``work``, a window at a time (module notes).

    A file imported before is refused unless ``options.force`` — except in a
    ``rehearsal`` (a dry run), which says so instead (``Outcome.previous_batch``).
    """
    session = work.session
    outcome = Outcome(options, previous_batch=previous_batch(session, options.sha256))
    if not rehearsal:
        refuse_repeat(options, outcome.previous_batch)
    windows = _windows(records, window)
    # the first window is read before any write: a file that cannot be read is refused
    # with the database untouched (and is not kept once written)
    waiting = [first] if (first := next(windows, None)) else []
    del first
    batch = open_batch(work, options, progress)
    carry = Carry(first_contact=next_id(session, Contact.__table__))
    with page_cache(session):
        for rows in itertools.chain(_taken(waiting), windows):
            plan = plan_import(session, rows, options, progress, carry)
            outcome.add(plan, apply_window(batch, plan))
            if observe is not None:
                observe(plan)
            del plan, rows
            if outcome.rows >= window:
                gc.collect(0)  # what the window's writes left in cycles (collector paused)
    view = close_batch(batch, dict(outcome.counts), outcome.rows)
    outcome.batch = None if rehearsal else view
    return outcome


@collector_paused()
def rehearse(
    db: Database,
    coordinator: str,
    records: Iterable[ContactRecord | PlannedRow],
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    observe: Observer | None = None,
    window: int = WINDOW,
) -> Outcome:
    """A dry run: what importing ``records`` would do, changing nothing (module notes)."""
    rest = iter(records)
    first = list(itertools.islice(rest, window))
    more = list(itertools.islice(rest, 1))
    if not more:
        with db.read_session() as session:
            plan = plan_import(session, first, options, progress)
        outcome = Outcome(options, previous_batch=plan.previous_batch)
        outcome.add(plan, plan.counts())
        if observe is not None:
            observe(plan)
        return outcome
    waiting = [first + more]
    del first, more
    with db.rehearsal() as session:
        return import_records(
            Work(session, coordinator),
            itertools.chain.from_iterable(itertools.chain(_taken(waiting), [rest])),
            options,
            progress=progress,
            observe=observe,
            window=window,
            rehearsal=True,
        )


def _taken(
    waiting: list[list[ContactRecord | PlannedRow]],
) -> Iterator[list[ContactRecord | PlannedRow]]:
    while waiting:
        yield waiting.pop()


def _windows(
    records: Iterable[ContactRecord | PlannedRow], size: int
) -> Iterator[list[ContactRecord | PlannedRow]]:
    rest = iter(records)
    while True:
        rows = list(itertools.islice(rest, size))
        if not rows:
            return
        yield rows
