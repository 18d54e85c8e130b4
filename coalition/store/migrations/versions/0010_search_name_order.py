"""PostgreSQL: a contact's index entry carries its name's sort key; the search indexes
keep a short pending list.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

Search as you type lists the first page of a contact search in name order. On
PostgreSQL that meant reading every match's row in ``contacts`` for its sort key: at
100,000 contacts, 1,900 rows fetched one by one for "kow", 6-9 ms of each keystroke.
The index entry (``contact_search``) now holds the key too (``name_key``, the contact's
``display_name_key``), so the first page is found among the entries the search reads
anyway. The entries are filled from the contacts here; ``coalition.store.search``
writes the key with every entry from now on.

A GIN index gathers new entries in a pending list that every search reads through
until it is merged into the index (by the next VACUUM, or past 4 MB): after an import
of 100,000 contacts, 380 pages, and 16-23 ms of each keystroke's count where 1-2 ms
would do. Each search index now merges its list past 512 kB (``gin_pending_list_limit``,
a setting of the index, so it holds for every role that writes); an import pays no
measurable time for it.

SQLite: nothing changes (its index is FTS5's, whose first page is found otherwise).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_LIST_KB = 512


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE contact_search ADD COLUMN name_key varchar(400) NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE contact_search SET name_key = contacts.display_name_key "
        "FROM contacts WHERE contacts.id = contact_search.id"
    )
    # no default from here on: an entry written without its key is an error, not a
    # contact listed out of order
    op.execute("ALTER TABLE contact_search ALTER COLUMN name_key DROP DEFAULT")
    for table in ("contact_search", "organisation_search"):
        op.execute(f"ALTER INDEX ix_{table}_doc SET (gin_pending_list_limit = {PENDING_LIST_KB})")
    # the entries the update rewrote wait in the pending list: merged now, not at the next
    # VACUUM (the old versions' space is the server's autovacuum's to reclaim)
    op.execute("SELECT gin_clean_pending_list('ix_contact_search_doc')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("contact_search", "organisation_search"):
        op.execute(f"ALTER INDEX ix_{table}_doc RESET (gin_pending_list_limit)")
    op.execute("ALTER TABLE contact_search DROP COLUMN name_key")
