"""A coordinator's week, played with the real program in real processes: import the
member list, invite with a logged mail merge, import the form's replies, chase the quiet,
take back a wrong import and what was done with it since, and report — every count
checked at each step."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

MEMBERS = 60
ANSWERS = {"Yes": 6, "No": 2, "Maybe": 2}


def coalition(db: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``coalition --db DB ARGS…`` as its own process; a failure shows what it said."""
    done = subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(db), *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, "COALITION_USER": "alice"},
        timeout=120,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def data(db: Path, *args: str) -> Any:
    return json.loads(coalition(db, *args, "--format", "json").stdout)


def statuses(db: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for signon in data(db, "signon", "list", "kids-2027"):
        counts[signon["status"]] = counts.get(signon["status"], 0) + 1
    return counts


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_coordinators_week(tmp_path: Path) -> None:
    db = tmp_path / "week.db"
    coalition(db, "init")

    # Monday: the member list, as the secretariat keeps it (one person per organisation).
    members = write_csv(
        tmp_path / "members.csv",
        [["Organisation", "Country", "First name", "Last name", "Email"]]
        + [
            [f"Kinderschutz Beispiel {i:02d}", ("BE", "FR", "DE")[i % 3], "Alex",
             f"Member{i:02d}", f"alex.member{i:02d}@example.org"]
            for i in range(MEMBERS)
        ],
    )  # fmt: skip
    coalition(db, "import", str(members), "--tag", "members")
    assert len(data(db, "org", "list", "--tag", "members")) == MEMBERS
    coalition(db, "campaign", "add", "kids-2027", "--name", "Kids 2027", "--state", "open")

    # The invitation: every member not in the campaign yet, logged as it goes.
    invitations = tmp_path / "invitations.csv"
    sent = coalition(
        db, "export", "mailmerge", str(invitations), "--campaign", "kids-2027",
        "--status", "none", "--tag", "members", "--log-outreach", "Invitation",
    )  # fmt: skip
    with invitations.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == MEMBERS and {r["CampaignStatus"] for r in rows} == {"invited"}
    assert f"Wrote {MEMBERS} recipients" in sent.stderr
    assert statuses(db) == {"invited": MEMBERS}
    assert len(data(db, "interaction", "list", "--campaign", "kids-2027")) == MEMBERS

    # Tuesday: the mail tool's sheet says what became of the invitation (YAMM's "Merge
    # status" column on the sheet it sent from): three bounced, one unsubscribed.
    fates = {50: "BOUNCED", 51: "BOUNCED", 52: "BOUNCED", 53: "UNSUBSCRIBED"}
    yamm = write_csv(
        tmp_path / "merge-status.csv",
        [["Email Address", "First Name", "Last Name", "Organisation", "Merge status"]]
        + [
            [f"alex.member{i:02d}@example.org", "Alex", f"Member{i:02d}",
             f"Kinderschutz Beispiel {i:02d}",
             fates.get(i, "EMAIL_OPENED" if i % 2 else "EMAIL_SENT")]
            for i in range(MEMBERS)
        ],
    )  # fmt: skip
    coalition(db, "import", str(yamm), "--campaign", "kids-2027")
    people = data(db, "contact", "list", "--tag", "members")
    assert sum(p["bounced"] for p in people) == 3
    assert sum(p["do_not_contact"] for p in people) == 1
    assert statuses(db) == {"invited": MEMBERS}  # they were invited already
    again = tmp_path / "again.csv"
    coalition(db, "export", "mailmerge", str(again), "--campaign", "kids-2027", "--tag", "members")
    with again.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == MEMBERS - len(fates)

    # Wednesday: the form's replies, dated when each was answered.
    answers = [answer for answer, n in ANSWERS.items() for _ in range(n)]
    replies = write_csv(
        tmp_path / "replies.csv",
        [["Timestamp", "Email Address", "Your name", "Name of your organisation",
          "Do you wish to sign the joint statement?"]]
        + [
            [f"2026/11/{10 + i:02d} 09:30:00", f"alex.member{i:02d}@example.org",
             f"Alex Member{i:02d}", f"Kinderschutz Beispiel {i:02d}", answer]
            for i, answer in enumerate(answers)
        ],
    )  # fmt: skip
    coalition(db, "import", str(replies), "--campaign", "kids-2027")
    answered = len(answers)
    assert statuses(db) == {
        "invited": MEMBERS - answered,
        "signed": ANSWERS["Yes"],
        "declined": ANSWERS["No"],
        "considering": ANSWERS["Maybe"],
    }
    assert len(data(db, "org", "list")) == MEMBERS  # the replies made no organisation
    signed = data(db, "signon", "list", "kids-2027", "--status", "signed")
    assert sorted(s["status_since"][:10] for s in signed) == [
        f"2026-11-{10 + i:02d}" for i in range(ANSWERS["Yes"])
    ]

    # Thursday: whom to chase — invited or considering, nothing since.
    quiet = data(db, "signon", "list", "kids-2027", "--quiet-for", "0d")
    assert len(quiet) == MEMBERS - answered + ANSWERS["Maybe"]

    # Friday: a wrong file imported, a call logged with one of its people, then both taken
    # back in one step.
    wrong = write_csv(
        tmp_path / "wrong.csv",
        [["Organisation", "Country", "First name", "Last name", "Email"]]
        + [[f"Falsch Beispiel {i}", "DE", "Kim", f"Wrong{i}", f"kim.wrong{i}@example.net"]
           for i in range(5)],
    )  # fmt: skip
    coalition(db, "import", str(wrong))
    batches = data(db, "imports", "list")
    wrong_batch = batches[0]["id"]
    assert len(data(db, "org", "list")) == MEMBERS + 5
    coalition(db, "log", "--contact", "kim.wrong0@example.net", "--channel", "call",
              "--subject", "Who are you?")  # fmt: skip
    refused = subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(db), "imports", "undo", str(wrong_batch),
         "--yes"],
        capture_output=True, text=True, env={**os.environ, "COALITION_USER": "alice"},
    )  # fmt: skip
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "1 interaction logged by alice" in refused.stderr and "--with-later" in refused.stderr
    coalition(db, "imports", "undo", str(wrong_batch), "--with-later", "--yes")
    assert len(data(db, "org", "list")) == MEMBERS
    assert data(db, "interaction", "list", "--contact", "alex.member00@example.org")
    # The invitations stay; the call went with the batch.
    subjects = [i["subject"] for i in data(db, "interaction", "list")]
    assert subjects == ["Invitation"] * MEMBERS  # one each: the sheet gave them outcomes

    # The report to the partners.
    report = data(db, "report", "kids-2027", "--by", "country")
    overall = report["overall"]
    assert overall["counts"] == {
        "prospect": 0,
        "invited": MEMBERS - answered,
        "considering": ANSWERS["Maybe"],
        "signed": ANSWERS["Yes"],
        "declined": ANSWERS["No"],
        "withdrawn": 0,
    }
    assert overall["asked"] == MEMBERS
    assert overall["answered"] == ANSWERS["Yes"] + ANSWERS["No"]
    assert sum(g["total"] for g in report["groups"]) == MEMBERS
    assert sum(w["signatures"] for w in report["weeks"]) == ANSWERS["Yes"]
    assert report["quiet_total"] == len(quiet)
