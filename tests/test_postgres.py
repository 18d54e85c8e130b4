"""Team mode's database: a PostgreSQL server opened by URL (issue 17).

The tests that need a server take the suite's (``pg_server``: COALITION_TEST_PG, or
the throwaway server the run starts when PostgreSQL is installed); without one they
are skipped with that reason in the summary. The rest need no server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from click.testing import CliRunner

from coalition.cli import cli
from coalition.domain import browse, people
from coalition.domain.audit import work
from coalition.errors import DatabaseError
from coalition.store import database
from coalition.store.database import open_database


def test_a_server_nobody_answers_at_is_said_in_a_sentence_without_the_password(
    tmp_path: Any,
) -> None:
    url = f"postgresql://bob:s3cret@/coalition?host={tmp_path}/no-server-here"
    result = CliRunner().invoke(cli, ["--db", url, "org", "list"], catch_exceptions=True)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    said = result.stderr
    assert "Cannot connect to the database server" in said
    assert "postgresql+psycopg://bob:***@/coalition" in said
    assert "s3cret" not in said


@pytest.fixture
def server_url(pg_server: Any) -> str:
    return str(pg_server.url_of(pg_server.new_database()))


def test_the_command_line_works_on_a_server_database(server_url: str) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli, ["--db", server_url, "org", "add", "Minors Care Example", "--acronym", "MCE"]
    )
    assert added.exit_code == 0, (added.output, added.exception)
    listed = runner.invoke(cli, ["--db", server_url, "search", "minors"])
    assert listed.exit_code == 0, (listed.output, listed.exception)
    assert "Minors Care Example" in listed.output


def test_two_coordinators_write_one_after_the_other(server_url: str) -> None:
    """The second writer waits for the first to commit (as on SQLite), then goes on:
    nothing is lost, and a reader is never kept waiting meanwhile."""
    first = open_database(server_url)
    second = open_database(server_url)
    try:
        started = threading.Event()
        done: list[float] = []

        def second_writer() -> None:
            started.wait()
            began = time.monotonic()
            with work(second, "bob") as w:
                people.add_organisation(w, name="Fundación Niños Seguros")
            done.append(time.monotonic() - began)

        thread = threading.Thread(target=second_writer)
        thread.start()
        with work(first, "alice") as w:
            people.add_organisation(w, name="Minors Care Example")
            started.set()
            time.sleep(0.6)
            with second.read_session() as s:  # a reader does not wait for the writer
                assert people.search_all(s, "minors") == []
            assert not done
        thread.join(10)
        assert done and done[0] >= 0.4
        with first.read_session() as s:
            assert [o.name for o in browse.list_organisations(s)] == [
                "Fundación Niños Seguros",
                "Minors Care Example",
            ]
    finally:
        first.close()
        second.close()


def test_a_writer_waiting_too_long_is_told_who_holds_the_database(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    first = open_database(server_url)
    second = open_database(server_url)
    try:
        with work(first, "alice") as w:
            people.add_organisation(w, name="Minors Care Example")
            with (
                pytest.raises(DatabaseError, match="Another coordinator is writing"),
                work(second, "bob") as w2,
            ):
                people.add_organisation(w2, name="Fundación Niños Seguros")
        with second.read_session() as s:
            assert [o.name for o in browse.list_organisations(s)] == ["Minors Care Example"]
    finally:
        first.close()
        second.close()


def test_ctrl_c_mid_exchange_with_the_server_leaves_nothing_and_says_so(server_url: str) -> None:
    # Ctrl+C can land while the server's answer is still on its way (a COPY begun: the
    # db copy test caught it once): that connection takes no ROLLBACK, and the user got
    # "another command is already in progress" in a traceback instead of "nothing was
    # changed". The connection is let go; the server rolls back what it had.
    db = open_database(server_url)
    try:
        with pytest.raises(database.Interrupted) as stopped, work(db, "tester") as w:
            people.add_organisation(w, name="Half Written Example")
            w.session.flush()
            raw = w.session.connection().connection.dbapi_connection
            raw.pgconn.send_query(b"SELECT pg_sleep(0.2)")  # sent, its answer not read
            raise KeyboardInterrupt
        assert stopped.value.saved is False
        with db.read_session() as s:
            assert browse.count_organisations(s, browse.OrganisationQuery()) == 0
        with work(db, "tester") as w:  # the database is usable again at once
            people.add_organisation(w, name="Whole Example")
    finally:
        db.close()
