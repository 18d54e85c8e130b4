"""``coalition db copy`` at 100,000 contacts: SQLite -> PostgreSQL -> SQLite.

Builds a SQLite database of 100,000 fictional contacts in 5,000 organisations (with
their emails and the search index: ``search_bench.build``), copies it into a new
database on a PostgreSQL server, copies that into a new SQLite file, and prints the time
of each copy and whether the final file dumps (``store.transfer.dump``) equal to the
original.

    python benchmarks/copy_bench.py [--contacts 100000] [--server postgresql://user@host/postgres]

``--server``: a server the benchmark may create (and drop) a database on; without it a
throwaway server is started as the test suite starts one (needs PostgreSQL's ``pg_ctl``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from pg_server import server_database
from search_bench import build

from coalition.store.database import open_database
from coalition.store.transfer import copy_database, dump


def _dumped(target: Path | str) -> dict[str, list[tuple[object, ...]]]:
    db = open_database(target)
    try:
        return dump(db)
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--server", help="a PostgreSQL server URL to create a database on")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_database(args.server, "coalition_copy_bench") as on_server,
    ):
        original = Path(tmp) / "original.db"
        seconds = build(original, args.contacts)
        print(f"built {args.contacts:,} contacts and their index in {seconds:.1f} s")
        before = _dumped(original)
        rows = sum(len(r) for r in before.values())

        for label, source, target in (
            ("SQLite -> PostgreSQL", str(original), on_server),
            ("PostgreSQL -> SQLite", on_server, str(Path(tmp) / "back.db")),
        ):
            started = time.perf_counter()
            report = copy_database(source, target)
            elapsed = time.perf_counter() - started
            verdict = "all tables equal" if report.ok else "DIFFERS"
            print(f"{label}: {elapsed:6.1f} s  ({report.rows:,} rows, {verdict})")

        after = _dumped(Path(tmp) / "back.db")
        same = after == before
        print(f"final dump equal to the original ({rows:,} rows): {'yes' if same else 'NO'}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
