"""The database file: permissions, pragmas, schema versions, locking."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from coalition.errors import DatabaseError
from coalition.store import database
from coalition.store.database import head_revision, open_database
from coalition.store.schema import SCHEMA_HEAD


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_database_file_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = open_database(path)
    with db.session() as s:
        s.execute(text("INSERT INTO tags (name, key) VALUES ('eu', 'eu')"))
    wal = Path(str(path) + "-wal")
    assert mode(path) == 0o600
    assert wal.exists() and mode(wal) == 0o600
    db.close()


def test_a_database_in_a_folder_that_does_not_exist_is_refused_not_made(tmp_path: Path) -> None:
    # A mistyped --db must not start a new empty database (and its folders) elsewhere.
    path = tmp_path / "typo" / "coalition.db"
    with pytest.raises(DatabaseError, match=r"There is no folder .*typo"):
        open_database(path)
    assert not (tmp_path / "typo").exists()


def test_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        path = tmp_path / "open.db"
        open_database(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_pragmas(db: database.Database) -> None:
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == database.BUSY_TIMEOUT_MS


def test_write_sessions_take_the_write_lock_at_begin(db: database.Database) -> None:
    other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    with db.session() as s:
        s.execute(text("SELECT 1"))  # a read alone, inside a write unit
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_read_sessions_do_not_block_writers(db: database.Database) -> None:
    other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    with db.read_session() as s:
        s.execute(text("SELECT count(*) FROM contacts")).scalar()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_a_failed_unit_of_work_leaves_nothing(db: database.Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        s.execute(text("INSERT INTO tags (name, key) VALUES ('x', 'x')"))
        raise RuntimeError("boom")
    with db.read_session() as s:
        assert s.execute(text("SELECT count(*) FROM tags")).scalar() == 0


def test_schema_head_constant_matches_the_migrations() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_models_match_the_migrations(db: database.Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from coalition.store.models import Base
    from coalition.store.search import is_index_table

    with db.engine.connect() as c:
        context = MigrationContext.configure(
            c,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _p: (
                    not (type_ == "table" and is_index_table(name or ""))
                ),
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert _without_renamed_fks(diff) == []


def _without_renamed_fks(diff: list) -> list:
    """SQLite does not report the name of a foreign key declared on an added column
    (migration 0002), so Alembic sees remove+add of the same key; drop those pairs."""

    def signature(fk: object) -> tuple:
        return (
            fk.parent.name,  # type: ignore[attr-defined]
            tuple(c.name for c in fk.columns),  # type: ignore[attr-defined]
            fk.referred_table.name,  # type: ignore[attr-defined]
        )

    removed = {signature(d[1]) for d in diff if d[0] == "remove_fk"}
    added = {signature(d[1]) for d in diff if d[0] == "add_fk"}
    same = removed & added
    return [d for d in diff if not (d[0] in ("remove_fk", "add_fk") and signature(d[1]) in same)]


def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    raw.commit()
    raw.close()
    with pytest.raises(DatabaseError, match="newer version of coalition"):
        open_database(db_path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(DatabaseError, match="not a database"):
        open_database(path)
    assert path.read_text().startswith("these are my notes")


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE things (id INTEGER)")
    raw.commit()
    raw.close()
    with pytest.raises(DatabaseError, match="not a coalition database"):
        open_database(path)


def test_reopening_an_upgraded_file_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "keep.db"
    db = open_database(path)
    with db.session() as s:
        s.execute(text("INSERT INTO tags (name, key) VALUES ('eu', 'eu')"))
    db.close()
    db = open_database(path)
    with db.read_session() as s:
        assert s.execute(text("SELECT name FROM tags")).scalar() == "eu"
    db.close()


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder"):
        open_database(tmp_path)


def test_upgrading_from_the_first_schema_keeps_every_row(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "old.db"
    db = open_database(path, upgrade=False)
    with db.engine.begin() as connection:
        command.upgrade(database._alembic_config(connection), "0001")
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO contacts (id, display_name, display_name_key, display_name_custom, "
                "do_not_contact, bounced, created_at, updated_at) "
                "VALUES (1, 'Anna', 'anna', 0, 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        s.execute(
            text(
                "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
                "VALUES (1, 'anna@example.org', 'anna@example.org', 1, 1)"
            )
        )
    db.close()
    db = open_database(path)
    with db.read_session() as s:
        assert s.execute(text("SELECT address FROM contact_emails")).scalar() == "anna@example.org"
        assert s.execute(text("SELECT import_batch_id FROM contacts")).scalar() is None
    assert database.current_revisions(db) == (SCHEMA_HEAD,)
    db.close()


def test_contact_uids_are_version_7_uuids_in_time_order() -> None:
    import uuid

    from coalition.store.models import new_uid

    made = [new_uid() for _ in range(5000)]
    parsed = [uuid.UUID(u) for u in made]
    assert all(str(p) == u for p, u in zip(parsed, made, strict=True))
    assert {p.version for p in parsed} == {7}
    assert {p.variant for p in parsed} == {uuid.RFC_4122}
    assert made == sorted(made) and len(set(made)) == len(made)


def test_upgrading_refolds_keys_and_the_index_for_letters_with_a_stroke(tmp_path: Path) -> None:
    from alembic import command

    from coalition.domain import browse, people

    path = tmp_path / "old.db"
    db = open_database(path, upgrade=False)
    with db.engine.begin() as connection:
        command.upgrade(database._alembic_config(connection), "0003")
    with db.session() as s:
        # Keys as revision 0003 folded them: strokes kept.
        s.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, membership, created_at, "
                "updated_at) VALUES (1, 'Fundacja Łódź', 'fundacja łodz', 'ngo', 'none', "
                "'2026-01-01', '2026-01-01')"
            )
        )
        s.execute(
            text(
                "INSERT INTO contacts (id, uid, display_name, display_name_key, "
                "display_name_custom, organisation_id, do_not_contact, bounced, created_at, "
                "updated_at) VALUES (1, 'u1', 'Łukasz Ørsted', 'łukasz ørsted', 0, 1, 0, 0, "
                "'2026-01-01', '2026-01-01'), (2, 'u2', 'Marta Nowak', 'marta nowak', 0, 1, 0, 0, "
                "'2026-01-01', '2026-01-01')"
            )
        )
        s.execute(
            text(
                "INSERT INTO tags (id, name, key) VALUES (1, 'Straße', 'straße'), "
                "(2, 'Strasse', 'strasse'), (3, 'Øresund', 'øresund')"
            )
        )
    db.close()
    db = open_database(path)
    with db.read_session() as s:
        assert s.execute(text("SELECT name_key FROM organisations")).scalar() == "fundacja lodz"
        keys = {i: k for i, k in s.execute(text("SELECT id, key FROM tags"))}
        assert keys == {1: "straße", 2: "strasse", 3: "oresund"}  # no clash: 1 keeps its key
        assert [c.display_name for c in browse.list_contacts(s)] == ["Łukasz Ørsted", "Marta Nowak"]
        assert [h.title for h in people.search_all(s, "lodz")] == [
            "Fundacja Łódź", "Łukasz Ørsted", "Marta Nowak"
        ]  # fmt: skip
        assert [h.title for h in people.search_all(s, "lukasz orsted")] == ["Łukasz Ørsted"]
        assert people.find_organisation(s, "fundacja lodz").id == 1
    assert database.current_revisions(db) == (SCHEMA_HEAD,)
    db.close()


def _index_sql(db: database.Database) -> list[str]:
    with db.read_session() as s:
        return list(
            s.scalars(
                text(
                    "SELECT sql FROM sqlite_master WHERE name IN "
                    "('contact_search', 'organisation_search') ORDER BY name"
                )
            )
        )


def test_upgrading_gives_the_search_indexes_one_letter_prefixes_and_keeps_them(
    tmp_path: Path,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from coalition.domain import people
    from coalition.store import search

    path = tmp_path / "old.db"
    db = open_database(path, upgrade=False)
    with db.engine.begin() as connection:
        command.upgrade(database._alembic_config(connection), "0005")
    # Written as rows of revision 0005 (today's domain writes columns added since).
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, membership, created_at, "
                "updated_at) VALUES (1, 'Pax', 'pax', 'other', 'none', :t, :t)"
            ),
            {"t": "2026-11-01 10:00:00.000000"},
        )
        s.execute(
            text(
                "INSERT INTO contacts (id, uid, given_name, family_name, display_name, "
                "display_name_key, display_name_custom, organisation_id, do_not_contact, "
                "bounced, created_at, updated_at) VALUES (1, 'u-1', 'Paulina', 'Zielińska', "
                "'Paulina Zielińska', 'paulina zielinska', 0, 1, 0, 0, :t, :t)"
            ),
            {"t": "2026-11-01 10:00:00.000000"},
        )
        search.index_organisations(s, [1])
        search.index_contacts(s, [1])
    assert all("prefix = '2 3 4'" in sql for sql in _index_sql(db))
    db.close()
    db = open_database(path)
    assert all("prefix = '1 2 3 4'" in sql for sql in _index_sql(db))
    with db.read_session() as s:
        # What was indexed before is found, by its first letter too.
        assert [h.title for h in people.search_all(s, "z")] == ["Paulina Zielińska"]
        assert [h.title for h in people.search_all(s, "p")] == ["Pax", "Paulina Zielińska"]
    with db.engine.begin() as connection:
        command.downgrade(database._alembic_config(connection), "0005")
    assert all("prefix = '2 3 4'" in sql for sql in _index_sql(db))
    with db.read_session() as s:  # read as revision 0005's code did: the index alone
        found = s.scalars(
            text("SELECT rowid FROM contact_search WHERE contact_search MATCH 'zielin*'")
        )
        assert list(found) == [1]
    db.close()


def test_bulk_rows_refuse_to_leave_out_a_required_column(db: database.Database) -> None:
    from coalition.store.bulk import insert_rows
    from coalition.store.models import Contact

    with db.session() as s, pytest.raises(ValueError, match=r"missing \['bounced'"):
        # do_not_contact and bounced have Python-side defaults raw SQL would skip.
        insert_rows(
            s,
            Contact.__table__,
            ("id", "display_name", "display_name_key", "display_name_custom", "created_at",
             "updated_at"),
            [(1, "Anna", "anna", False, "2026-01-01 00:00:00", "2026-01-01 00:00:00")],
        )  # fmt: skip
    with db.read_session() as s:
        assert s.execute(text("SELECT count(*) FROM contacts")).scalar() == 0


def test_migrations_carry_what_they_need_as_it_was() -> None:
    """A revision is history: it imports nothing of coalition's live code, whose later
    changes would change what an old database's upgrade does."""
    versions = Path(database.MIGRATIONS_DIR) / "versions"
    for revision in sorted(versions.glob("*.py")):
        source = revision.read_text(encoding="utf-8")
        assert "from coalition" not in source and "import coalition" not in source, revision.name
