"""Export at scale: mail merge of 100,000 contacts to CSV and XLSX, and vCards.

Builds a database of 100,000 fictional contacts (through the importer, as a
coordinator would), then runs each export in its own process and prints
seconds, rows/s and peak RSS, beside the comparison the CSV target is stated
against: a bare SQL query over the same contacts written with csv.writer
(target: the mail-merge CSV no slower than 1.5x of it).

    python benchmarks/export_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import make_rows, write_csv

BUILD = """
import sys
from coalition.store.database import open_database
from coalition.domain.audit import work
from coalition.domain.imports import apply_plan, plan_import
from coalition.interchange.importer import open_source, options_for
source = open_source(sys.argv[1])
db = open_database(sys.argv[2])
with db.read_session() as s:
    plan = plan_import(s, source.records, options_for(source))
with work(db, "bench") as w:
    apply_plan(w, plan)
"""

RUN = """
import json, resource, sys, time
from click.testing import CliRunner
from coalition.cli import cli
db, args = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
result = CliRunner().invoke(cli, ["--db", db, *args])
assert result.exit_code == 0, result.output
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BARE = """
import csv, json, resource, sqlite3, sys, time
t0 = time.perf_counter()
con = sqlite3.connect(sys.argv[1])
rows = con.execute(
    "SELECT e.address, c.given_name, c.family_name, c.display_name, o.name, c.role, o.country, "
    "c.language FROM contacts c LEFT JOIN organisations o ON o.id = c.organisation_id "
    "JOIN contact_emails e ON e.contact_id = c.id AND e.is_primary = 1 AND e.valid = 1 "
    "WHERE c.do_not_contact = 0 AND c.bounced = 0 ORDER BY o.name_key, c.display_name_key")
with open(sys.argv[2], "w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["Email", "GivenName", "FamilyName", "FullName", "Organisation", "Role", "Country", "Language"])
    writer.writerows(rows)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout) if out.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source, db = tmp / "members.csv", tmp / "bench.db"
        write_csv(source, make_rows(args.rows))
        t0 = time.perf_counter()
        child(BUILD, str(source), str(db))
        print(f"built the database from {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        bare = child(BARE, str(db), str(tmp / "bare.csv"))
        recipients = sum(1 for _ in (tmp / "bare.csv").open(encoding="utf-8")) - 1
        print(f"bare SQL + csv.writer: {bare['seconds']:.2f} s for {recipients:,} rows")
        for label, extra in (
            ("mail merge csv", ["export", "mailmerge", str(tmp / "merge.csv")]),
            ("mail merge xlsx", ["export", "mailmerge", str(tmp / "merge.xlsx")]),
            ("vCards 3.0", ["export", "vcard", str(tmp / "all.vcf")]),
        ):
            r = child(RUN, str(db), *extra)
            line = (
                f"{label:16} {r['seconds']:6.2f} s ({recipients / r['seconds']:>9,.0f} rows/s) "
                f"peak RSS {r['rss_mb']:.0f} MB"
            )
            if label == "mail merge csv":
                line += (
                    f"  -> {r['seconds'] / bare['seconds']:.2f}x the bare query (target <= 1.5x)"
                )
            print(line)


if __name__ == "__main__":
    main()
