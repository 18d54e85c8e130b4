"""Two coordinators, two roles made with ``coalition team add``, working at once on one
PostgreSQL database, each in a process of its own, logged in as their role and
saying they are someone else ($COALITION_USER=mallory, a default the server ignores).

Round after round each one edits the notes of the same organisation and of its
sign-on (as a form does: read with the version, a moment of typing, save with that
version), logs a call with it, and imports a small file of new people through the
command line. Then: no save that landed was lost, every save refused was refused with
the other's name, and every change in the change log, every interaction and every
import batch names the role that made it.

30 s in CI (``CI=true``, the must-show of issue 17); 8 s elsewhere, and
``COALITION_RACE_SECONDS`` says otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coalition.domain import campaigns, people
from coalition.store.database import open_database
from coalition.store.models import AuditEntry, Contact, ImportBatch, Interaction
from tests.conftest import Team, ok

SECONDS = float(
    os.environ.get("COALITION_RACE_SECONDS") or (30 if os.environ.get("CI") == "true" else 8)
)

WORKER = """
import csv, json, random, sys, time
from pathlib import Path
from coalition.cli import cli
from coalition.domain import campaigns, outreach, people
from coalition.domain.audit import work
from coalition.domain.team import acting_coordinator
from coalition.errors import Conflict
from coalition.store.database import open_database

url, tag, folder = sys.argv[1], sys.argv[2], Path(sys.argv[5])
start, until = float(sys.argv[3]), float(sys.argv[4])
db = open_database(url)
me = acting_coordinator(db, "mallory", declared=False)  # as the command line and the app do
done = {"me": me, "org": [], "signon": [], "logs": [], "imports": [], "refused": []}
time.sleep(max(0.0, start - time.time()))  # both begin together
i = 0
while time.time() < until:
    mark = f"{tag}-{i}"
    step = i % 4
    if step in (0, 1):
        with db.read_session() as s:
            if step == 0:
                opened = people.get_organisation(s, "Alpha Kids")
            else:
                opened = campaigns.get_signon(s, "Alpha Kids", "kids-2027")
        time.sleep(random.uniform(0, 0.02))  # typing
        notes = f"{opened.notes or ''} {mark}".strip()
        try:
            with work(db, me) as w:
                if step == 0:
                    people.edit_organisation(
                        w, opened.id, {"notes": notes}, expected_version=opened.version
                    )
                else:
                    campaigns.change_signon(
                        w, "Alpha Kids", "kids-2027", notes=notes,
                        expected_version=opened.version,
                    )
            done["org" if step == 0 else "signon"].append(mark)
        except Conflict as refusal:
            done["refused"].append(str(refusal))
    elif step == 2:
        with work(db, me) as w:
            outreach.log_interaction(w, organisation="Alpha Kids", channel="call", subject=mark)
        done["logs"].append(mark)
    else:
        path = folder / f"{mark}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            rows = csv.writer(handle)
            rows.writerow(["Name", "Email", "Organisation"])
            for k in range(3):
                rows.writerow([f"Person {mark} {k}", f"{mark}-{k}@example.org", f"Org {mark}"])
        cli.main(["--db", url, "import", str(path)], standalone_mode=False)
        done["imports"].append(mark)
    i += 1
db.close()
(folder / f"{tag}.json").write_text(json.dumps(done))
"""


def test_two_coordinators_at_once_lose_nothing_and_the_log_names_each_role(
    team: Team, tmp_path: Path
) -> None:
    roles = {tag: team.role(tag) for tag in ("ann", "ben")}
    for role in roles.values():
        ok(team.run("team", "add", role, "--no-password"))
    ok(team.run("campaign", "add", "kids-2027"))
    ok(team.run("org", "add", "Alpha Kids"))
    ok(team.run("signon", "set", "Alpha Kids", "kids-2027", "invited"))
    admin = open_database(team.admin_url)
    with admin.read_session() as s:
        setup_end = max(s.scalars(select(AuditEntry.id)))
    env = {**os.environ, "COALITION_USER": "mallory"}
    start = time.time() + 3.0  # after both have imported coalition and connected

    def worker(tag: str) -> subprocess.Popen[str]:
        args = [team.url(roles[tag]), tag, str(start), str(start + SECONDS), str(tmp_path)]
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    workers = {tag: worker(tag) for tag in roles}
    done: dict[str, dict[str, Any]] = {}
    for tag, process in workers.items():
        _, err = process.communicate(timeout=SECONDS + 120)
        assert process.returncode == 0, err
        done[tag] = json.loads((tmp_path / f"{tag}.json").read_text())
        assert done[tag]["me"] == roles[tag]

    with admin.read_session() as s:
        org = people.get_organisation(s, "Alpha Kids")
        signon = campaigns.get_signon(s, "Alpha Kids", "kids-2027")
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.id > setup_end)))
        calls = {i.subject: i.coordinator for i in s.scalars(select(Interaction))}
        batches = {b.file_name: b.coordinator for b in s.scalars(select(ImportBatch))}
        names = set(s.scalars(select(Contact.display_name)))
    admin.close()
    owner = {mark: tag for tag in done for kind in ("org", "signon", "logs", "imports")
             for mark in done[tag][kind]}  # fmt: skip

    # 0 lost writes: every save that landed is there, and only those.
    for kind, stored in (("org", org.notes), ("signon", signon.notes)):
        landed = done["ann"][kind] + done["ben"][kind]
        assert sorted((stored or "").split()) == sorted(landed), kind
    assert org.version == 1 + len(done["ann"]["org"]) + len(done["ben"]["org"])
    for tag in done:
        for mark in done[tag]["logs"]:
            assert calls[mark] == roles[tag]
        for mark in done[tag]["imports"]:
            assert batches[f"{mark}.csv"] == roles[tag]
            assert {f"Person {mark} {k}" for k in range(3)} <= names

    # Every refusal names the other coordinator.
    refused = done["ann"]["refused"] + done["ben"]["refused"]
    assert refused, "they did overlap"
    for me, other in (("ann", "ben"), ("ben", "ann")):
        for refusal in done[me]["refused"]:
            assert refusal.startswith(f"Changed by {roles[other]} at "), refusal

    # The change log names the right role for every change: each entry is one mark's (an
    # edit's notes end with it; a call and an import batch are labelled with it).
    marks_logged = set()
    for entry in entries:
        notes = str((entry.after or {}).get("notes") or "").split()
        mark = notes[-1] if notes else (entry.label or "").removesuffix(".csv")
        assert mark in owner, (entry.entity, entry.action, entry.label)
        assert entry.coordinator == roles[owner[mark]], (entry.entity, entry.label)
        marks_logged.add(mark)
    assert marks_logged == set(owner)
    print(
        f"{SECONDS:.0f} s: {len(entries)} changes, {len(refused)} saves refused, "
        f"ann {sum(len(done['ann'][k]) for k in ('org', 'signon', 'logs', 'imports'))} and "
        f"ben {sum(len(done['ben'][k]) for k in ('org', 'signon', 'logs', 'imports'))} landed"
    )
