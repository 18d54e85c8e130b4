"""Two coordinators' programs editing one organisation at the same moment, each in a
process of its own, on SQLite and on PostgreSQL: no save is lost.

Each process reads the organisation (its notes and version, as a form opens it), waits
a few milliseconds as a coordinator types, then saves its notes with a mark of its own
appended, passing the version it read. A save either lands — and its mark is then in
the notes for good — or is refused with the other coordinator's name. Without the
version, about half of the marks that "landed" are written over by the other process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from coalition.domain import people
from coalition.domain.audit import work
from coalition.store.database import open_database

ROUNDS = 30

WORKER = """
import json, random, sys, time
from coalition.domain import people
from coalition.domain.audit import work
from coalition.errors import Conflict
from coalition.store.database import open_database

target, me, rounds, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
db = open_database(target)
time.sleep(max(0.0, start - time.time()))  # both begin together
landed, refused = [], []
for i in range(rounds):
    with db.read_session() as s:
        opened = people.get_organisation(s, "Alpha Kids")
    time.sleep(random.uniform(0, 0.02))  # typing
    mark = f"{me}-{i}"
    try:
        with work(db, me) as w:
            people.edit_organisation(
                w, opened.id, {"notes": f"{opened.notes or ''} {mark}".strip()},
                expected_version=opened.version,
            )
        landed.append(mark)
    except Conflict as refusal:
        refused.append(str(refusal))
db.close()
print(json.dumps({"landed": landed, "refused": refused}))
"""


def test_two_processes_editing_one_organisation_lose_no_save(db_path: Any) -> None:
    db = open_database(db_path)
    with work(db, "alice") as w:
        people.add_organisation(w, name="Alpha Kids")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.time() + 2.0  # after both have imported and opened the database
    workers = {
        me: subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db_path), me, str(ROUNDS), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=root,
        )
        for me in ("alice", "bob")
    }
    results: dict[str, dict[str, list[str]]] = {}
    for me, process in workers.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results[me] = json.loads(out)

    with db.read_session() as s:
        stored = people.get_organisation(s, "Alpha Kids")
    db.close()
    marks = (stored.notes or "").split()
    landed = results["alice"]["landed"] + results["bob"]["landed"]
    assert sorted(marks) == sorted(landed), "every save that landed is still there"
    for me, other in (("alice", "bob"), ("bob", "alice")):
        assert len(results[me]["landed"]) + len(results[me]["refused"]) == ROUNDS
        for refusal in results[me]["refused"]:
            assert refusal.startswith(f"Changed by {other} at "), refusal
    assert results["alice"]["refused"] or results["bob"]["refused"], "they did overlap"
    assert stored.version == 1 + len(landed)
