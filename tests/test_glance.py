"""The start screen's first look (sqlite3, or psycopg on a server, alone) against the
domain's overview (SQLAlchemy).

The terminal app fills its first screen from ``domain.glance`` before SQLAlchemy is
loaded; every later look goes through ``browse.overview``. These tests hold the two
to the same answer on each engine, and the first look to reading only what it can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import browse, campaigns, outreach, people
from coalition.domain.glance import first_look
from coalition.store.database import Database, open_database
from coalition.store.schema import SCHEMA_HEAD
from coalition.store.where import shown_url
from tests.browse_data import copy, fill

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def storied(db_path: Path) -> Path:  # a file, or a server database's URL
    """Campaigns in every state with sign-ons, follow-ups due, later, done and with nobody's
    campaign, changes with before and after, an import batch: what the overview shows."""
    fill(db_path, 12, 3)
    db = open_database(db_path)
    with _unit(db, "alice") as w:
        people.add_organisation(w, name="Réseau Exemple", country="FR")
        people.add_contact(
            w, given_name="Zofia", family_name="Nowak", emails=["zofia@example.net"],
            organisation="Réseau Exemple",
        )  # fmt: skip
        campaigns.add_campaign(
            w, "open-one", name="An open statement", target=20, state="open",
            opened_on="2026-10-01", deadline="2026-12-31", link="https://example.org/s",
            text="We, the undersigned…",
        )  # fmt: skip
        campaigns.add_campaign(w, "draft-one", name="A draft letter", kind="letter")
        campaigns.add_campaign(w, "draft-empty", name="Nothing yet")
        campaigns.add_campaign(w, "closed-one", name="Long ago", state="closed")
        for org, code, status in [
            ("Fondation Test 0000", "open-one", "signed"),
            ("Fondation Test 0001", "open-one", "signed"),
            ("Fondation Test 0002", "open-one", "considering"),
            ("Réseau Exemple", "draft-one", "invited"),
            ("Réseau Exemple", "closed-one", "declined"),
        ]:
            campaigns.set_signon(w, org, code, status)
        logged = [
            outreach.log_interaction(
                w, organisation="Fondation Test 0002", subject="Invitation", campaign="open-one",
                follow_up_on="2026-11-01", occurred_at=dt.datetime(2026, 10, 20, 9, 30),
            ),
            outreach.log_interaction(
                w, contact="zofia@example.net", channel="call", direction="in",
                notes="Asked for the text", outcome="will read", follow_up_on="2026-11-20",
                occurred_at=dt.datetime(2026, 11, 2, 14, 0),
            ),
            outreach.log_interaction(
                w, organisation="Réseau Exemple", subject="Same day, logged earlier",
                follow_up_on="2026-11-20", occurred_at=dt.datetime(2026, 10, 1, 8, 0),
            ),
            outreach.log_interaction(
                w, organisation="Fondation Test 0001", subject="Later", follow_up_on="2026-11-21",
            ),
            outreach.log_interaction(
                w, organisation="Fondation Test 0000", subject="Done already",
                follow_up_on="2026-11-02",
            ),
        ]  # fmt: skip
        outreach.complete_followup(w, logged[-1].interaction.id)
        people.edit_contact(w, "zofia@example.net", {"role": "Director"})
    db.close()
    return db_path


def _unit(db: Database, coordinator: str) -> Any:
    from coalition.domain.audit import work

    return work(db, coordinator)


def _domain(path: Path, today: dt.date = TODAY, **limits: int) -> browse.Overview:
    with open_database(path) as db, db.read_session() as s:
        return browse.overview(s, today=today, **limits)


@pytest.mark.parametrize("limits", [{}, {"followups": 2, "recent": 3}])
def test_the_first_look_is_what_the_domain_sees(storied: Path, limits: dict[str, int]) -> None:
    look = first_look(storied, today=TODAY, **limits)
    assert look is not None
    with open_database(storied) as db:  # the place as the app shows it, by either way in
        assert look.where == (db.path or shown_url(db.url))
    expected = _domain(storied, **limits)
    assert look.overview == expected
    # The comparison is worth something only if the overview holds each kind of thing.
    seen = look.overview
    assert [c.code for c in seen.open_campaigns] == ["open-one"]
    assert [c.code for c in seen.draft_campaigns] == ["draft-empty", "draft-one"]
    assert seen.open_campaigns[0].counts["signed"] == 2
    assert seen.open_campaigns[0].deadline == dt.date(2026, 12, 31)
    assert seen.draft_campaigns[0].counts == dict.fromkeys(seen.draft_campaigns[0].counts, 0)
    assert seen.followups_total == 3
    subjects = [f.subject for f in seen.followups]
    assert subjects == ["Invitation", "Same day, logged earlier", None][: len(subjects)]
    assert seen.followups[0].campaign == "open-one"
    if not limits:
        assert seen.followups[2].contact == "Zofia Nowak" and seen.followups[2].direction == "in"
    assert any(e.before and e.after for e in seen.recent)  # an edit, with what it changed


@pytest.mark.parametrize(
    ("today", "due"),
    [
        # 11-01 is overdue; 11-02 was due but is done; two are due on 11-20, one on 11-21.
        (dt.date(2026, 11, 19), ["Invitation"]),
        (dt.date(2026, 11, 20), ["Invitation", "Same day, logged earlier", None]),
        (dt.date(2026, 11, 21), ["Invitation", "Same day, logged earlier", None, "Later"]),
    ],
)
def test_a_follow_up_is_due_alike_on_both_paths(
    storied: Path, today: dt.date, due: list[str | None]
) -> None:
    """Due today counts, due tomorrow does not yet, done never: at first look, in the
    domain's overview and in the list of follow-ups due before tomorrow."""
    look = first_look(storied, today=today)
    assert look is not None
    assert [f.subject for f in look.overview.followups] == due
    assert look.overview.followups_total == len(due)
    assert look.overview == _domain(storied, today=today)
    with open_database(storied) as db, db.read_session() as s:
        listed = outreach.list_followups(s, due_before=today + dt.timedelta(days=1))
    assert listed == look.overview.followups


def test_an_empty_database_is_empty_at_first_look(db_path: Path) -> None:
    look = first_look(db_path, today=TODAY)
    assert look is not None and look.overview.empty
    assert look.overview == _domain(db_path)


def test_the_first_look_changes_nothing(storied: Path, tmp_path: Path, engine: str) -> None:
    if engine == "postgresql":
        pytest.skip("compares the SQLite file's bytes (on a server it reads READ ONLY)")
    before = hashlib.sha256(storied.read_bytes()).hexdigest()
    assert first_look(storied, today=TODAY) is not None
    assert hashlib.sha256(storied.read_bytes()).hexdigest() == before
    missing = tmp_path / "not-yet.db"
    assert first_look(missing) is None
    assert not missing.exists()  # creating a database is the usual way in's work


def _stamped(path: Path, revision: str) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()
    return path


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="an empty file"),
        pytest.param(lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256))), id="a zip"),
        pytest.param(lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)"), id="another db"),
    ],
)
def test_a_file_it_cannot_read_is_left_to_the_usual_way_in(
    tmp_path: Path, make: Callable[[Path], Any]
) -> None:
    path = tmp_path / "other.db"
    make(path)
    assert first_look(path) is None


def test_an_older_or_newer_schema_and_a_url_are_left_to_the_usual_way_in(
    db_path: Path, tmp_path: Path, engine: str
) -> None:
    if engine == "postgresql":
        _a_server_database_at_another_revision_is_left_to_the_usual_way_in(str(db_path))
        return
    assert first_look(f"sqlite:///{db_path}") is None
    assert first_look(_stamped(copy(db_path, tmp_path / "old.db"), "0005")) is None
    assert first_look(_stamped(copy(db_path, tmp_path / "new.db"), "9999")) is None


def test_the_first_look_and_the_start_screen_need_no_sqlalchemy(storied: Path) -> None:
    code = (
        "import sys\n"
        "import coalition.tui.app, coalition.tui.screens.start, coalition.tui.widgets.render\n"
        "from coalition.domain.glance import first_look\n"
        "look = first_look(sys.argv[1])\n"
        "coalition.tui.widgets.render.campaigns(look.overview.open_campaigns, [])\n"
        "print(look.overview.contacts, sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'alembic'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(storied)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["13", "[]"]


def _a_server_database_at_another_revision_is_left_to_the_usual_way_in(url: str) -> None:
    import psycopg

    def stamp(revision: str) -> None:
        with psycopg.connect(url) as connection:
            connection.execute("UPDATE alembic_version SET version_num = %s", (revision,))

    assert first_look(url) is not None
    try:
        for revision in ("0005", "9999"):
            stamp(revision)
            assert first_look(url) is None
    finally:
        stamp(SCHEMA_HEAD)
    # nobody there, or a database that does not exist: the usual way in says what is wrong
    assert first_look(url.replace("host=", "host=/nonexistent")) is None
    assert first_look(_elsewhere(url, database="no_such_database")) is None


def _elsewhere(url: str, **parts: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(**parts).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    "typed",
    [
        "postgresql://postgres@/coalition?host=/tmp/pg",
        "postgresql://bob:s3cr%40t@db.example.org:5433/coal?sslmode=require",
        "postgres://alice@localhost/x",
        "postgresql://u:p@h/d?host=/a%20b",
        "postgresql://%40odd%3Auser:pw@[::1]:5432/d?b=2&a=1&a=0",
        "postgresql:///d?host=/x+y",
        "postgresql://u@h/my%20db",
        "mysql://root:pw@h/db",
    ],
)
def test_a_server_is_shown_as_sqlalchemy_shows_it_without_its_password(typed: str) -> None:
    # Where a database is gets said before SQLAlchemy is loaded (store.where, the first
    # look's title and every message since): as SQLAlchemy's URL said it, password hidden.
    from sqlalchemy.engine import make_url

    from coalition.store.where import to_url

    url = to_url(typed)
    assert shown_url(url) == make_url(url).render_as_string(hide_password=True)
    assert "s3cr" not in shown_url(url) and ":pw@" not in shown_url(url)
