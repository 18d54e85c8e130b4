"""Ctrl+C (a real SIGINT) during ``coalition db copy``: the target stays empty.

A source of 40,000 contacts takes a few seconds to copy; the signal lands at several
moments. Whatever the moment, either the copy finished (and says so) or the command says
"Interrupted; nothing was changed.", exits 130, and the target is as it was: no file,
or a server database without a table.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PYTHON = sys.executable
CONTACTS = 40_000


@pytest.fixture
def big_source(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "big.db"
    shutil.copyfile(template_db, path)
    connection = sqlite3.connect(path)
    try:
        stamp = "2026-01-05 09:30:00.000000"
        connection.executemany(
            "INSERT INTO contacts (id, display_name, display_name_key, display_name_custom, "
            "do_not_contact, bounced, created_at, updated_at) VALUES (?, ?, ?, 0, 0, 0, ?, ?)",
            (
                (i, f"Person {i} Example", f"person {i} example", stamp, stamp)
                for i in range(1, CONTACTS + 1)
            ),
        )
        connection.executemany(
            "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
            "VALUES (?, ?, ?, 1, 1)",
            ((i, f"p{i}@example.org", f"p{i}@example.org") for i in range(1, CONTACTS + 1)),
        )
        connection.commit()
    finally:
        connection.close()
    return path


@pytest.fixture
def empty_server_database(pg_server: Any) -> Iterator[str]:
    name = f"coalition_kill_{uuid.uuid4().hex[:8]}"
    maintenance = pg_server.url.database or "postgres"
    pg_server._run(maintenance, f"CREATE DATABASE {name}")
    yield pg_server.url_of(name)
    pg_server._run(maintenance, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _interrupt(source: Path, target: str, delay: float) -> tuple[int, str]:
    child = subprocess.Popen(
        [PYTHON, "-m", "coalition", "db", "copy", str(source), target],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert "Traceback" not in err and "Aborted" not in err, err
    return child.returncode, err.strip().splitlines()[-1] if err.strip() else ""


def _server_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return [name for (name,) in rows]


def test_ctrl_c_during_a_copy_to_a_file_leaves_no_file(big_source: Path, tmp_path: Path) -> None:
    interrupted = 0
    for number, delay in enumerate((0.9, 1.5, 2.2)):
        target = tmp_path / f"copy{number}.db"
        status, last = _interrupt(big_source, str(target), delay)
        if last.startswith("Copied"):
            continue  # done before the signal came
        assert (status, last) == (130, "Interrupted; nothing was changed."), last
        assert not list(tmp_path.glob(f"copy{number}.db*"))
        interrupted += 1
    assert interrupted, "every copy finished before its Ctrl+C: make the source bigger"


def test_ctrl_c_during_a_copy_to_a_server_leaves_it_empty(
    big_source: Path, empty_server_database: str
) -> None:
    interrupted = 0
    for delay in (0.9, 1.5, 2.2):
        status, last = _interrupt(big_source, empty_server_database, delay)
        if last.startswith("Copied"):
            break  # done before the signal came: the database is no longer empty
        assert (status, last) == (130, "Interrupted; nothing was changed."), last
        assert _server_tables(empty_server_database) == []
        interrupted += 1
    assert interrupted, "every copy finished before its Ctrl+C: make the source bigger"
