"""A big file is planned and written a window of rows at a time (``imports.run``): the same
people, organisations and sign-ons as one window gives, one batch, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from coalition.domain import campaigns, imports
from coalition.domain.imports import ContactRecord, ImportOptions, OrganisationRecord
from coalition.errors import CoalitionError
from coalition.store.models import Contact, ImportBatch, Organisation, SignOn


def options(**kw: Any) -> ImportOptions:
    base = {"file_name": "members.csv", "sha256": "cd" * 32, "file_format": "csv"}
    return ImportOptions(**{**base, **kw})


def rec(n: int, name: str, email: str, org: str | None = None, **kw: Any) -> ContactRecord:
    given, family = name.split(" ")
    record = ContactRecord(
        source=f"row {n}", given_name=given, family_name=family, emails=[(email, None)], **kw
    )
    if org:
        record.organisation = OrganisationRecord(name=org, website=kw.pop("website", None))
    return record


def member_file() -> list[ContactRecord]:
    """Nine rows: the same person again in row 8 (with a phone the first row lacks), an
    organisation named in rows 2, 5 and 9, and sign-on answers in several windows."""
    return [
        rec(2, "Ana Silva", "ana@example.org", "Alpha Kids", signon_status="yes"),
        rec(3, "Ben Okafor", "ben@example.org", "Beta Youth"),
        rec(4, "Chloé Martin", "chloe@example.net", "Gamma Care"),
        rec(5, "Dara Novak", "dara@example.org", "Alpha Kids"),
        rec(6, "Eli Kowalski", "eli@example.net", "Delta Aid", signon_status="no"),
        rec(7, "Femi Adeyemi", "femi@example.org", "Beta Youth", signon_status="considering"),
        rec(8, "Ana Silva", "ana@example.org", "Alpha Kids", phones=[("+32 470 12 34 56", None)]),
        rec(9, "Gus Lindqvist", "gus@example.net", "Epsilon Net"),
        rec(10, "Hana Sato", "hana@example.org", "Alpha Kids"),
    ]


def stored(session: Any) -> dict[str, Any]:
    """What a coordinator sees of the database, without ids."""
    organisations = {o.id: o.name for o in session.scalars(select(Organisation))}
    people = sorted(
        (
            c.display_name,
            organisations.get(c.organisation_id),
            tuple(sorted(e.address for e in c.emails)),
            tuple(sorted(p.e164 or p.number for p in c.phones)),
            tuple(sorted(t.name for t in c.tags)),
        )
        for c in session.scalars(select(Contact))
    )
    signons = sorted(
        (organisations[s.organisation_id], s.status) for s in session.scalars(select(SignOn))
    )
    return {
        "people": people,
        "organisations": sorted(organisations.values()),
        "signons": signons,
        "batches": session.query(ImportBatch).count(),
    }


@pytest.fixture
def campaign(unit: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022", name="Joint statement")


def test_three_windows_store_what_one_window_stores(db: Any, unit: Any, campaign: None) -> None:
    seen: list[tuple[str, str, str]] = []

    def observe(plan: imports.Plan) -> None:
        seen.extend((r.source, r.action, r.reason) for r in plan.rows)

    with unit() as w:
        windowed = imports.import_records(
            w, member_file(), options(campaign="csam-2022", tags=("members",)),
            observe=observe, window=3,
        )  # fmt: skip
    with db.read_session() as s:
        by_windows = stored(s)

    with unit() as w:  # undone, then the same file again in one window
        imports.undo_batch(w, windowed.batch.id)
    with unit() as w:
        whole = imports.import_records(
            w,
            member_file(),
            options(campaign="csam-2022", tags=("members",), force=True),
        )
    with db.read_session() as s:
        at_once = stored(s)

    by_windows["batches"] = at_once["batches"]  # the undone one is still listed
    assert by_windows == at_once
    assert windowed.rows == whole.rows == 9
    assert windowed.counts["create"] == whole.counts["create"] == 8
    assert windowed.counts["in-file duplicate"] == 1
    assert windowed.counts["organisations created"] == whole.counts["organisations created"] == 5
    assert windowed.counts["sign-ons"] == whole.counts["sign-ons"], (windowed.counts, whole.counts)
    # row 8 is in the third window: folded into the person row 2 created, its phone added
    assert ("row 8", "in-file duplicate", "same email as row 2; merged into it") in seen
    ana = next(p for p in at_once["people"] if p[0] == "Ana Silva")
    assert ana == ("Ana Silva", "Alpha Kids", ("ana@example.org",), ("+32470123456",), ("members",))
    assert ("Alpha Kids", "signed") in at_once["signons"]
    assert len([s for s in seen if s[1] == "create"]) == 8


def test_a_windowed_batch_undoes_whole(db: Any, unit: Any) -> None:
    with db.read_session() as s:
        before = stored(s)
    with unit() as w:
        done = imports.import_records(w, member_file(), options(), window=2)
    assert done.batch is not None
    with unit() as w:
        imports.undo_batch(w, done.batch.id)
    with db.read_session() as s:
        after = stored(s)
    assert after["people"] == before["people"] == []
    assert after["organisations"] == before["organisations"]


def test_a_dry_run_of_several_windows_plans_the_same_and_changes_nothing(
    db: Any, unit: Any, campaign: None
) -> None:
    with db.read_session() as s:
        before = stored(s)
    rehearsed = imports.rehearse(
        db, "tester", member_file(), options(campaign="csam-2022"), window=3
    )
    with db.read_session() as s:
        assert stored(s) == before
    assert rehearsed.batch is None
    with unit() as w:
        done = imports.import_records(w, member_file(), options(campaign="csam-2022"), window=3)
    assert done.counts == rehearsed.counts
    assert done.rows == rehearsed.rows == 9


def test_a_failure_in_a_later_window_leaves_no_trace(db: Any, unit: Any) -> None:
    def records() -> Any:
        yield from member_file()[:5]
        raise CoalitionError("members.csv: row 7 cannot be read.")

    with db.read_session() as s:
        before = stored(s)
    with pytest.raises(CoalitionError, match="row 7 cannot be read"), unit() as w:
        imports.import_records(w, records(), options(), window=2)
    with db.read_session() as s:
        assert stored(s) == before


def test_a_file_imported_before_is_refused_and_a_dry_run_says_so(db: Any, unit: Any) -> None:
    with unit() as w:
        first = imports.import_records(w, member_file(), options(), window=4)
    assert first.batch is not None
    with pytest.raises(CoalitionError, match="already imported"), unit() as w:
        imports.import_records(w, member_file(), options(), window=4)
    again = imports.rehearse(db, "tester", member_file(), options(), window=4)
    assert again.previous_batch == first.batch.id
    assert again.counts["duplicate"] == 9


def test_the_statements_an_import_sends_do_not_multiply_with_its_length(db: Any, unit: Any) -> None:
    """Each statement text the database prepares is kept (128 of them by the driver, up to
    a megabyte each in SQLite): a long import must send the same few texts window after
    window, whatever each window's count of addresses and names, or its memory grows with
    the file (it did: 1.4 MB per 10,000 rows)."""
    from random import Random

    from sqlalchemy import event

    def people(count: int, first: int) -> list[ContactRecord]:
        draw = Random(first)  # each window a different count of addresses and names
        rows = []
        for n in range(first, first + count):
            emails = [(f"p{n}.{k}@example.org", None) for k in range(draw.randint(1, 4))]
            record = ContactRecord(
                source=f"row {n}", given_name=f"Given{n}", family_name="Family", emails=emails
            )
            record.organisation = OrganisationRecord(name=f"Org {draw.randint(1, 60)}")
            rows.append(record)
        return rows

    def statements(count: int, first: int, sha: str) -> set[str]:
        sent: set[str] = set()

        def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            sent.add(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            with unit() as w:
                imports.import_records(w, people(count, first), options(sha256=sha * 64), window=7)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return sent

    short = statements(30, 1_000, "a")  # 5 windows
    long = statements(150, 2_000, "b")  # 22 windows, into a fuller database
    assert len(long) == len(short), sorted(long - short)[:3]


def test_an_import_writes_with_a_larger_page_cache_and_gives_it_back(
    db: Any, unit: Any, engine: str
) -> None:
    # Past its first window an import writes into indexes holding the earlier windows'
    # rows: SQLite's 2 MiB default cache read most of their pages again each window. The
    # import's connection keeps 16 MiB while it writes, and goes back to the pool as it was.
    from sqlalchemy import text

    from coalition.store.bulk import IMPORT_PAGE_CACHE_KIB

    if engine != "sqlite":
        pytest.skip("a server's page cache is its own")
    seen: list[int] = []
    with unit() as w:
        before = w.session.execute(text("PRAGMA cache_size")).scalar()
        imports.import_records(
            w,
            member_file(),
            options(),
            window=4,
            observe=lambda plan: seen.append(w.session.execute(text("PRAGMA cache_size")).scalar()),
        )
        after = w.session.execute(text("PRAGMA cache_size")).scalar()
    assert seen == [-IMPORT_PAGE_CACHE_KIB] * 3  # each of the three windows
    assert after == before != -IMPORT_PAGE_CACHE_KIB
