"""Alembic environment: always run on a connection handed over by coalition.

coalition opens the database itself (pragmas, file mode, BEGIN IMMEDIATE) and
passes the connection in ``config.attributes["connection"]``; there is no
alembic.ini and no URL here.
"""

from alembic import context

from coalition.store.models import Base
from coalition.store.search import is_index_table

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from a bare `alembic` call
    raise RuntimeError("coalition migrations run through coalition.store.database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=lambda name, type_, _parent: not (type_ == "table" and is_index_table(name or "")),
)
with context.begin_transaction():
    context.run_migrations()
