"""A PostgreSQL database for a benchmark: on a server given with ``--server``, or on a
throwaway server started as the test suite starts one (needs PostgreSQL's ``pg_ctl``);
created empty, dropped at the end."""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def database_url(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    rendered = make_url(server).set(database=name).render_as_string(hide_password=False)
    return rendered.replace("postgresql+psycopg://", "postgresql://", 1)


def settle(url: str) -> float:
    """``VACUUM (ANALYZE)`` the database just filled, as the server's autovacuum does a
    minute after a big import (while it runs, it takes a core from what is measured); the
    seconds it took."""
    started = time.perf_counter()
    run_sql(url, "VACUUM (ANALYZE)")
    return time.perf_counter() - started


@contextmanager
def server_database(server: str | None, prefix: str) -> Iterator[str]:
    """The URL of a new empty database named ``prefix`` and a random suffix."""
    cluster = None
    if not server:
        from tests import pg_cluster

        pg_ctl = pg_cluster.find_pg_ctl()
        if pg_ctl is None:
            sys.exit("No PostgreSQL here: give --server postgresql://user@host/postgres.")
        # A folder of its own under /tmp: run as root, the server runs as postgres, who
        # cannot enter this run's private temporary folder.
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-pg-"))
        cluster = pg_cluster.Cluster(pg_ctl, folder)
        cluster.remove_folder = True
        server = cluster.start()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    run_sql(server, f"CREATE DATABASE {name}")
    try:
        yield database_url(server, name)
    finally:
        run_sql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if cluster is not None:
            cluster.stop()
