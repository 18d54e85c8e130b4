"""Import batches: what each import did, so it can be listed and undone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

The new ``import_batch_id`` columns are added with ALTER TABLE ADD COLUMN, not
Alembic's batch mode: batch mode rebuilds a table by dropping it, and with
foreign keys on, dropping ``contacts`` would cascade-delete every email and
phone. SQLite accepts a REFERENCES clause on an added nullable column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "organisations",
    "contacts",
    "contact_emails",
    "contact_phones",
    "signons",
    "signon_events",
)


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("coordinator", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("last_audit_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_index(op.f("ix_import_batches_sha256"), "import_batches", ["sha256"])
    op.create_table(
        "import_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_changes_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_changes")),
    )
    op.create_index(op.f("ix_import_changes_batch_id"), "import_changes", ["batch_id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN import_batch_id INTEGER "
                "CONSTRAINT fk_" + table + "_import_batch_id_import_batches "
                "REFERENCES import_batches (id) ON DELETE SET NULL"
            )
        else:
            op.add_column(table, sa.Column("import_batch_id", sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_{table}_import_batch_id_import_batches"),
                table,
                "import_batches",
                ["import_batch_id"],
                ["id"],
                ondelete="SET NULL",
            )
        op.create_index(op.f(f"ix_{table}_import_batch_id"), table, ["import_batch_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_import_batch_id"), table_name=table)
        op.drop_column(table, "import_batch_id")
    op.drop_index(op.f("ix_import_changes_batch_id"), table_name="import_changes")
    op.drop_table("import_changes")
    op.drop_index(op.f("ix_import_batches_sha256"), table_name="import_batches")
    op.drop_table("import_batches")
