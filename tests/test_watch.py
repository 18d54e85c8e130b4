"""``store.watch``: the app's way to notice another program's (or coordinator's) commit —
the file's change counter on SQLite, the server's notifications on PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import browse, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.store.watch import watch_for


def _seen_within(watch: Any, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if watch.changed():
            return True
        time.sleep(0.05)
    return False


def test_another_programs_commit_is_seen_and_reading_is_not(db: Any, db_path: Path) -> None:
    watch = watch_for(db)
    try:
        assert watch.changed() is False  # the first look takes note
        other = open_database(db_path)  # another program on the same database
        try:
            with other.read_session() as s:
                browse.list_organisations(s)
            assert not _seen_within(watch, 0.5)
            with work(other, "bob") as w:
                people.add_organisation(w, name="Alpha Kids")
            assert _seen_within(watch)
            assert watch.changed() is False  # seen once
        finally:
            other.close()
    finally:
        watch.close()


def test_a_write_rolled_back_is_no_change(db: Any, db_path: Path) -> None:
    watch = watch_for(db)
    try:
        watch.changed()
        other = open_database(db_path)
        try:
            with pytest.raises(RuntimeError), work(other, "bob") as w:
                people.add_organisation(w, name="Beta Youth")
                raise RuntimeError("changed my mind")
            assert not _seen_within(watch, 0.5)
        finally:
            other.close()
    finally:
        watch.close()
