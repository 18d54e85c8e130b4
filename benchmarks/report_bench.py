"""``coalition report`` at the size of a big coalition.

Builds, in a temporary file, a database of fictional data (bulk SQL): --orgs
organisations (default 20,000) with 5 people each (100,000 contacts), all of them
in one campaign at a spread of statuses, each sign-on with its dated status
changes over 20 weeks, and 2 interactions per organisation (half with one of its
people) for the campaign, plus a second campaign of the same size so the report
must pick its own rows.

Then times ``reports.campaign_report`` (the work) --repeat times, plain and with
each ``--by``, and the whole ``coalition report`` process once, against the
target: under 1 s.

    python benchmarks/report_bench.py [--orgs 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from coalition.domain import reports
from coalition.store.database import open_database

TARGET = 1.0
STATUSES = ("prospect", "invited", "considering", "signed", "declined", "withdrawn")
START = dt.datetime(2026, 7, 6, 9, 0)


def _at(days: float) -> str:
    return (START + dt.timedelta(days=days)).isoformat(sep=" ", timespec="microseconds")


def build(path: Path, n_orgs: int) -> None:
    db = open_database(path)
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, country, membership, owner, "
                "created_at, updated_at) VALUES (:id, :name, :name, :kind, :country, 'none', "
                ":owner, :now, :now)"
            ),
            [
                {
                    "id": i,
                    "name": f"organisation {i:06d}",
                    "kind": ("ngo", "foundation", "network")[i % 3],
                    "country": ("BE", "FR", "DE", "PL", "ES", "IT", "NL")[i % 7],
                    "owner": ("alice", "bob", None)[i % 3],
                    "now": _at(0),
                }
                for i in range(1, n_orgs + 1)
            ],
        )
        s.execute(
            text(
                "INSERT INTO contacts (id, given_name, family_name, display_name, "
                "display_name_key, display_name_custom, organisation_id, do_not_contact, "
                "bounced, created_at, updated_at) VALUES (:id, 'Ann', :family, :name, :name, 0, "
                ":org, 0, 0, :now, :now)"
            ),
            [
                {
                    "id": c,
                    "family": f"Example{c}",
                    "name": f"ann example{c}",
                    "org": 1 + (c - 1) // 5,
                    "now": _at(0),
                }
                for c in range(1, n_orgs * 5 + 1)
            ],
        )
        s.execute(
            text(
                "INSERT INTO campaigns (id, code, name, kind, state, target, created_at, "
                "updated_at) VALUES (:id, :code, :code, 'statement', 'open', 5000, :now, :now)"
            ),
            [{"id": c, "code": f"statement-{c}", "now": _at(0)} for c in (1, 2)],
        )
        signons, events, interactions = [], [], []
        for campaign in (1, 2):
            for org in range(1, n_orgs + 1):
                sid = len(signons) + 1
                status = STATUSES[(org * 7 + campaign) % len(STATUSES)]
                signons.append({"id": sid, "org": org, "c": campaign, "status": status})
                invited = (org % 100) * 0.5
                path = ["prospect"]
                if status != "prospect":
                    path.append("invited")
                if status in ("considering", "signed", "declined", "withdrawn"):
                    path.append("considering" if status == "considering" else status)
                if status == "withdrawn":
                    path[-1:] = ["signed", "withdrawn"]
                for step, to in enumerate(path):
                    day = 0.0 if step == 0 else invited + (step - 1) * (3 + org % 40)
                    events.append({"sid": sid, "to": to, "at": _at(day)})
                for k in range(2):
                    interactions.append(
                        {"org": org if k == 0 else None, "cid": None if k == 0 else org * 5,
                         "c": campaign, "at": _at(invited + 2 + k * (org % 60))}
                    )  # fmt: skip
        s.execute(
            text(
                "INSERT INTO signons (id, organisation_id, campaign_id, status, public, "
                "created_at, updated_at) VALUES (:id, :org, :c, :status, 1, '2026-07-06', "
                "'2026-07-06')"
            ),
            signons,
        )
        s.execute(
            text(
                "INSERT INTO signon_events (signon_id, to_status, at, coordinator) "
                "VALUES (:sid, :to, :at, 'bench')"
            ),
            events,
        )
        s.execute(
            text(
                "INSERT INTO interactions (occurred_at, channel, direction, subject, contact_id, "
                "organisation_id, campaign_id, done, coordinator, created_at) VALUES (:at, "
                "'email', 'out', 'Reminder', :cid, :org, :c, 0, 'bench', :at)"
            ),
            interactions,
        )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.db"
        started = time.perf_counter()
        build(path, args.orgs)
        print(
            f"built {args.orgs:,} organisations, {args.orgs * 5:,} contacts, "
            f"{args.orgs:,} sign-ons per campaign in {time.perf_counter() - started:.1f} s"
        )
        db = open_database(path)
        today = dt.date(2026, 12, 7)
        worst = 0.0
        for by in (None, *reports.GROUPINGS):
            times = []
            for _ in range(args.repeat):
                with db.read_session() as s:
                    started = time.perf_counter()
                    report = reports.campaign_report(s, "statement-1", by=by, today=today)
                    times.append(time.perf_counter() - started)
            worst = max(worst, min(times))
            print(
                f"campaign_report by {by or 'nothing':<11} best {min(times):.3f} s, "
                f"worst {max(times):.3f} s  ({report.overall.total:,} sign-ons, "
                f"{len(report.weeks)} weeks, {report.quiet_total:,} without an answer)"
            )
        db.close()
        env = {**os.environ, "COALITION_DB": str(path)}

        def process(*args: str) -> float:
            best = float("inf")
            for _ in range(args_repeat):
                started = time.perf_counter()
                command = [sys.executable, "-m", "coalition", *args]
                subprocess.run(command, env=env, check=True, capture_output=True)
                best = min(best, time.perf_counter() - started)
            return best

        args_repeat = args.repeat
        whole = process("report", "statement-1", "--by", "country")
        floor = process("campaign", "show", "statement-1")
        print(
            f"coalition report --by country, whole process: {whole:.2f} s; the floor, "
            f"`coalition campaign show` (start-up, imports, opening the database): {floor:.2f} s"
        )
        verdict = "meets" if worst < TARGET else "MISSES"
        print(
            f"work {worst:.3f} s (best run of the slowest grouping) {verdict} the {TARGET:.0f} s target"
        )


if __name__ == "__main__":
    main()
