"""Merging two organisations, and taking the merge back, at the size of a big member.

Builds, in a temporary file, a database of fictional coalition data (bulk SQL,
then the search index rebuilt through store.search): a background of
--background-orgs organisations with 10 people and 20 interactions each, and
two records of one organisation — the duplicate with --people people and
--interactions interactions (a fifth of them open follow-ups), each with its
change-log entry, and sign-ons to 8 campaigns with their status changes; the
kept one with a few people and sign-ons to 6 campaigns, 4 of them shared, so
sign-ons are combined as well as moved.

Then times, each in its own unit of work (commit included):

- ``merge.preview_merge`` (what the command line shows before asking);
- ``merge.merge_organisations`` of the duplicate into the kept one;
- ``merge.undo_merge`` of it;

and prints them against the target (under 2 s each), --repeat times over the
same database (each undo leaves it as it was), with the best and the worst.

    python benchmarks/merge_bench.py [--people 500] [--interactions 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakedata import organisations, people
from sqlalchemy import text

from coalition.domain import merge
from coalition.domain.audit import work
from coalition.domain.values import fold
from coalition.store import search
from coalition.store.database import open_database

TARGET = 2.0
STATUSES = ("prospect", "invited", "considering", "signed", "declined", "signed", "invited")
NOW = "2026-12-01 09:00:00.000000"


def build(path: Path, n_people: int, n_interactions: int, background: int) -> tuple[int, int]:
    """The database; returns (kept id, duplicate id)."""
    db = open_database(path)
    orgs = organisations(background + 2)
    kept_id, other_id = background + 1, background + 2
    with db.session() as s:
        s.execute(
            text(
                "INSERT INTO organisations (id, name, name_key, kind, country, membership, "
                "created_at, updated_at) VALUES (:id, :name, :key, 'ngo', :country, 'none', "
                ":now, :now)"
            ),
            [
                {"id": i, "name": o.name, "key": fold(o.name), "country": o.country, "now": NOW}
                for i, o in enumerate(orgs, start=1)
            ],
        )
        s.execute(
            text("UPDATE organisations SET name = :name, name_key = :key WHERE id = :id"),
            [
                {"id": kept_id, "name": "Minors Care Example", "key": "minors care example"},
                {"id": other_id, "name": "Minors Care Ex.", "key": "minors care ex."},
            ],
        )
        # People: 10 per background organisation, a few at the kept one, n at the duplicate.
        owners = [1 + i // 10 for i in range(background * 10)]
        owners += [kept_id] * 5 + [other_id] * n_people
        contacts, emails, audit = [], [], []
        for cid, (p, org) in enumerate(zip(people(len(owners), orgs), owners, strict=True), 1):
            name = f"{p.given} {p.family}"
            contacts.append(
                {"id": cid, "given": p.given, "family": p.family, "name": name,
                 "key": fold(name), "role": p.role or None, "org": org, "now": NOW}
            )  # fmt: skip
            emails.append({"cid": cid, "address": p.email, "key": p.email.casefold()})
            audit.append(("create", "contact", cid, name, org, cid))
        s.execute(
            text(
                "INSERT INTO contacts (id, given_name, family_name, display_name, "
                "display_name_key, display_name_custom, role, organisation_id, do_not_contact, "
                "bounced, created_at, updated_at) VALUES (:id, :given, :family, :name, :key, 0, "
                ":role, :org, 0, 0, :now, :now)"
            ),
            contacts,
        )
        s.execute(
            text(
                "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
                "VALUES (:cid, :address, :key, 1, 1)"
            ),
            emails,
        )
        # Interactions: 20 per background organisation, n with the duplicate (with one of
        # its people for half of them), a fifth of those open follow-ups.
        first_dup_person = background * 10 + 6
        rows = []
        for i in range(background * 20):
            rows.append({"org": 1 + i // 20, "cid": None, "follow": None})
        for i in range(n_interactions):
            person = first_dup_person + i % n_people if i % 2 and n_people else None
            rows.append(
                {"org": other_id, "cid": person, "follow": "2030-01-10" if i % 5 == 0 else None}
            )
        for iid, row in enumerate(rows, start=1):
            row.update(id=iid, now=NOW, subject=f"Outreach {iid}")
            audit.append(("create", "interaction", iid, row["subject"], row["org"], row["cid"]))
        s.execute(
            text(
                "INSERT INTO interactions (id, occurred_at, channel, direction, subject, "
                "contact_id, organisation_id, follow_up_on, done, coordinator, created_at) "
                "VALUES (:id, :now, 'email', 'out', :subject, :cid, :org, :follow, 0, 'bench', "
                ":now)"
            ),
            rows,
        )
        # Campaigns and sign-ons: the kept one in campaigns 1-6, the duplicate in 3-10.
        s.execute(
            text(
                "INSERT INTO campaigns (id, code, name, kind, state, created_at, updated_at) "
                "VALUES (:id, :code, :code, 'statement', 'open', :now, :now)"
            ),
            [{"id": i, "code": f"statement-{i}", "now": NOW} for i in range(1, 11)],
        )
        signons, events = [], []
        for org, campaign_ids in ((kept_id, range(1, 7)), (other_id, range(3, 11))):
            for c in campaign_ids:
                sid = len(signons) + 1
                status = STATUSES[(c + org) % len(STATUSES)]
                signons.append({"id": sid, "org": org, "c": c, "status": status, "now": NOW})
                events.append({"sid": sid, "from": None, "to": "prospect", "now": NOW})
                if status != "prospect":
                    events.append({"sid": sid, "from": "prospect", "to": status, "now": NOW})
                audit.append(("create", "signon", sid, f"sign-on {sid}", org, None))
        s.execute(
            text(
                "INSERT INTO signons (id, organisation_id, campaign_id, status, public, "
                "created_at, updated_at) VALUES (:id, :org, :c, :status, 1, :now, :now)"
            ),
            signons,
        )
        s.execute(
            text(
                "INSERT INTO signon_events (signon_id, from_status, to_status, at, coordinator) "
                "VALUES (:sid, :from, :to, :now, 'bench')"
            ),
            events,
        )
        s.execute(
            text(
                "INSERT INTO audit_log (at, coordinator, action, entity, entity_id, label, "
                "organisation_id, contact_id) VALUES (:now, 'bench', :action, :entity, :eid, "
                ":label, :org, :cid)"
            ),
            [
                {"now": NOW, "action": a, "entity": e, "eid": i, "label": label, "org": o, "cid": c}
                for a, e, i, label, o, c in audit
            ],
        )
        search.rebuild(s)
    db.close()
    return kept_id, other_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--interactions", type=int, default=2000)
    parser.add_argument("--background-orgs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        kept, other = build(path, args.people, args.interactions, args.background_orgs)
        print(
            f"built {args.background_orgs:,} organisations, {args.background_orgs * 10:,} people "
            f"and {args.background_orgs * 20:,} interactions around a duplicate with "
            f"{args.people:,} people and {args.interactions:,} interactions "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        db = open_database(path)
        timings: dict[str, list[float]] = {"preview": [], "merge": [], "undo": []}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with db.read_session() as s:
                preview = merge.preview_merge(s, "organisation", str(kept), str(other))
            timings["preview"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with work(db, "bench") as w:
                view = merge.merge_organisations(w, kept, other)
            timings["merge"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with work(db, "bench") as w:
                merge.undo_merge(w, view.id)
            timings["undo"].append(time.perf_counter() - t0)
        db.close()
    print(f"moved: {', '.join(f'{what} {n:,}' for what, n in preview.moves.items())}")
    for label, seconds in timings.items():
        best, worst = min(seconds), max(seconds)
        verdict = "within" if worst < TARGET else "OVER"
        print(
            f"  {label:8} best {best:6.3f} s  worst {worst:6.3f} s  "
            f"({verdict} the {TARGET:.0f} s target)"
        )


if __name__ == "__main__":
    main()
