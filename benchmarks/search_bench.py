"""Search-as-you-type at 100,000 contacts.

Builds a database of 100,000 fictional contacts in 5,000 organisations (bulk
SQL, then the search index rebuilt through store.search), then times each
prefix query a coordinator types, keystroke by keystroke, two ways:

- the index query alone (``store.search.search_contacts``, first 50 ids,
  name matches first) — the target is under a millisecond;
- a listing page (``domain.browse.list_contacts``: the 50 first matches by
  name, loaded with emails, phones, tags and organisation), which is what a
  table shows.

Prints per-query medians and the 95th percentile over all keystrokes.

    python benchmarks/search_bench.py [--contacts 100000] [--db postgresql://user@host/empty_db]

``--db`` builds in that (empty) database instead of a temporary SQLite file: the same
figures on a PostgreSQL server; ``--pg [SERVER]`` makes that database (on a throwaway
server when no SERVER is given, as the tests start one).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakedata import organisations, people
from sqlalchemy import text

from coalition.domain.browse import list_contacts
from coalition.domain.values import fold
from coalition.store import search
from coalition.store.database import open_database

QUERIES = [
    "muller",
    "emilie mul",
    "kowalsk",
    "policy off",
    "ελενη",
    "fundacja",
    "example.org",
    "zz",
]


def build(path: Path | str, n_contacts: int) -> float:
    db = open_database(path)
    orgs = organisations(max(n_contacts // 20, 1))
    started = time.perf_counter()
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, country, membership, created_at, updated_at) "
                "VALUES (:id, :name, :key, 'ngo', :country, 'none', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [
                {"id": i + 1, "name": o.name, "key": fold(o.name), "country": o.country}
                for i, o in enumerate(orgs)
            ],
        )
        org_ids = {o.name: i + 1 for i, o in enumerate(orgs)}
        contacts, emails = [], []
        for i, p in enumerate(people(n_contacts, orgs), start=1):
            name = f"{p.given} {p.family}"
            contacts.append(
                {
                    "id": i,
                    "given": p.given,
                    "family": p.family,
                    "name": name,
                    "key": fold(name),
                    "role": p.role or None,
                    "org": org_ids[p.org.name],
                }
            )
            emails.append({"cid": i, "address": p.email, "key": p.email.casefold()})
        s.execute(
            text(
                "INSERT INTO contacts (id, given_name, family_name, display_name, display_name_key, "
                "display_name_custom, role, organisation_id, do_not_contact, bounced, created_at, updated_at) "
                "VALUES (:id, :given, :family, :name, :key, FALSE, :role, :org, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            contacts,
        )
        s.execute(
            text(
                "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
                "VALUES (:cid, :address, :key, TRUE, TRUE)"
            ),
            emails,
        )
        if not db.is_sqlite:  # ids given above: the sequences go on after them
            for table in ("organisations", "contacts"):
                s.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        search.rebuild(s)
    db.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", help="an empty database to build in (default: a temporary file)")
    parser.add_argument(
        "--pg",
        nargs="?",
        const="",
        metavar="SERVER",
        help="build on PostgreSQL: a server URL to create a database on, or none for a "
        "throwaway server (pg_ctl)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if args.pg is not None:
            from pg_server import server_database

            args.db = stack.enter_context(server_database(args.pg or None, "coalition_search"))
        path: Path | str = args.db or Path(tmp) / "bench.db"
        seconds = build(path, args.contacts)
        print(f"built {args.contacts:,} contacts and their index in {seconds:.1f} s")
        if "://" in str(path):
            from pg_server import settle

            print(f"vacuumed and analysed as the server's autovacuum would: {settle(path):.1f} s")
        db = open_database(path)
        for label, run in (
            ("index query", lambda s, q: search.search_contacts(s, q, limit=50)),
            ("listing page", lambda s, q: list_contacts(s, search_text=q, limit=50)),
        ):
            every: list[float] = []
            print(f"{label}:")
            with db.read_session() as s:
                run(s, "warm up")
                for query in QUERIES:
                    per_query = []
                    for end in range(1, len(query) + 1):
                        t0 = time.perf_counter()
                        hits = run(s, query[:end])
                        per_query.append((time.perf_counter() - t0) * 1000)
                    every.extend(per_query)
                    print(
                        f"  {query!r:16} {len(query):2} keystrokes  median "
                        f"{statistics.median(per_query):6.2f} ms  worst {max(per_query):6.2f} ms"
                        f"  ({len(hits)} shown at the end)"
                    )
            every.sort()
            p95 = every[int(len(every) * 0.95) - 1]
            print(
                f"  all keystrokes: median {statistics.median(every):.2f} ms, "
                f"p95 {p95:.2f} ms, worst {every[-1]:.2f} ms"
            )
        db.close()


if __name__ == "__main__":
    main()
