"""Answers coming back from mail tools (issue 15): `coalition import` reads the status files
of YAMM, Thunderbird Mail Merge and Mailchimp, logs what became of each email with the
person it went to, marks who bounced or unsubscribed, invites their organisations with
--campaign, lists the addresses it does not know, and is previewed and undone like any
import.

The files are shaped as the programs write them (the sources are in
coalition/interchange/mailtools.py): the samples in imports/ (imports/make_mailtool_samples.py
writes them) and files made here from coalition's own mail merge, as a coordinator sends it."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import campaigns, people
from coalition.interchange import mailtools
from coalition.interchange.tabular import open_table
from tests.conftest import fails, ok

SAMPLES = Path(__file__).resolve().parent.parent / "imports"
INVITATION = "Invitation to sign the joint statement"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_json(run: Any, *args: str) -> Any:
    return json.loads(ok(run(*args, "--format", "json")).stdout)


def contacts(run: Any) -> dict[str, dict[str, Any]]:
    """Every contact by their first address (else their name)."""
    return {
        c["emails"][0]["address"] if c["emails"] else c["display_name"]: c
        for c in as_json(run, "contact", "list")
    }


def interactions(run: Any) -> dict[str, list[dict[str, Any]]]:
    """The emails logged, by the contact's name, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for i in reversed(as_json(run, "interaction", "list")):
        found.setdefault(i["contact"], []).append(i)
    return found


def statuses(run: Any, campaign: str) -> dict[str, str]:
    return {s["organisation"]: s["status"] for s in as_json(run, "signon", "list", campaign)}


@pytest.fixture
def members(run: Any) -> None:
    """The sample member spreadsheet: eleven people, the invitation's recipients."""
    ok(run("import", str(SAMPLES / "coalition-members.xlsx")))


# --- YAMM ---------------------------------------------------------------------------------


def test_a_yamm_sheet_logs_what_each_recipient_did_and_marks_bounces_and_unsubscribes(
    members: None, run: Any
) -> None:
    before = contacts(run)
    result = ok(run("import", str(SAMPLES / "yamm-merge-status.csv")))
    assert (
        "yamm-merge-status.csv (YAMM merge status sheet, encoding utf-8, delimiter ','): "
        "12 rows — 4 sent, 2 opened, 1 clicked, 1 responded, 1 bounced, 1 unsubscribed; "
        "1 address not known, 1 row without an address." in result.stderr
    )
    assert "Not known, left alone: h.virtanen@example.net." in result.stderr
    assert "Emails dated when imported: the file says no time." in result.stderr

    logged = interactions(run)
    outcomes = {name: [(i["channel"], i["direction"], i["outcome"]) for i in found]
                for name, found in logged.items()}  # fmt: skip
    assert outcomes == {
        "Giulia Rossi": [("email", "out", "opened")],
        "Åsa Johansson": [("email", "out", None)],
        "José Núñez": [("email", "out", "clicked")],
        "Zofia Kowalska": [("email", "out", "responded")],
        "Jürgen Fischer": [("email", "out", "bounced")],
        "Lena Schneider": [("email", "out", None)],
        "Émilie Müller": [("email", "out", "opened")],
        "Noémie Lefèvre": [("email", "out", "unsubscribed")],
        "Siobhán Murphy": [("email", "out", None)],
        "Daan de Vries": [("email", "out", None)],
    }
    assert logged["Giulia Rossi"][0]["organisation"] == "Associazione Bambini Sicuri"
    assert logged["Giulia Rossi"][0]["notes"] == "YAMM merge status sheet: EMAIL_OPENED"

    after = contacts(run)
    assert set(after) == set(before), "a status file adds nobody"
    jurgen, noemie = after["juergen.fischer@example.net"], after["noemie.lefevre@example.net"]
    assert (jurgen["bounced"], jurgen["do_not_contact"]) == (True, False)
    assert jurgen["emails"][0]["valid"] is False
    assert "bounced" in jurgen["emails"][0]["invalid_reason"]
    assert (noemie["bounced"], noemie["do_not_contact"]) == (False, True)
    assert noemie["emails"][0]["valid"] is True
    flagged = {a for a, c in after.items() if c["bounced"] or c["do_not_contact"]}
    assert flagged == {"juergen.fischer@example.net", "noemie.lefevre@example.net"}


def test_the_mail_merge_leaves_out_whom_the_sheet_says_bounced_or_unsubscribed(
    members: None, run: Any, tmp_path: Path
) -> None:
    ok(run("import", str(SAMPLES / "yamm-merge-status.csv")))
    again = tmp_path / "again.csv"
    result = ok(run("export", "mailmerge", str(again)))
    with again.open(encoding="utf-8", newline="") as handle:
        sent_to = {row["Email"] for row in csv.DictReader(handle)}
    assert "juergen.fischer@example.net" not in sent_to
    assert "noemie.lefevre@example.net" not in sent_to
    assert "lena.schneider@example.net" in sent_to
    assert "Left out: 1 bounced, 1 do not contact" in result.stderr


def yamm_sheet_from_export(run: Any, path: Path, status: dict[str, str]) -> Path:
    """The coordinator's round trip: coalition writes the mail merge (with the YAMM preset),
    Google Sheets holds it, YAMM sends it and adds "Merge status" after the last column (a
    recipient not in ``status`` was sent the email); the sheet is downloaded as XLSX, or as
    CSV (UTF-8, CRLF, quoted where needed)."""
    from openpyxl import load_workbook

    ok(run("export", "mailmerge", str(path), "--preset", "yamm"))
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([*header, "Merge status"])
            writer.writerows([*r, status.get(r[0], "EMAIL_SENT")] for r in rows)
        return path
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    width = sheet.max_column
    sheet.cell(row=1, column=width + 1, value="Merge status")
    for row in range(2, sheet.max_row + 1):
        address = sheet.cell(row=row, column=1).value
        sheet.cell(row=row, column=width + 1, value=status.get(str(address), "EMAIL_SENT"))
    sheet.title = "Invitations"
    book.save(path)
    return path


@pytest.fixture
def pipeline(unit: Any) -> None:
    """Organisations at each step of a campaign, one person each, and a person without an
    organisation."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        for name, status in (
            ("Alpha Kids", "prospect"),
            ("Beta Jeunesse", None),
            ("Gamma Youth", "considering"),
            ("Delta Enfance", "declined"),
            ("Epsilon Kinder", "prospect"),
        ):
            people.add_organisation(w, name=name, country="BE")
            if status:
                campaigns.set_signon(w, name, "kids-2027", status)
            given = name.split()[0]
            people.add_contact(
                w, given_name=given, family_name="Example", organisation=name,
                emails=[f"{given.lower()}@example.org"],
            )  # fmt: skip
        people.add_contact(w, given_name="Eva", family_name="Alone", emails=["eva@example.net"])


def test_with_a_campaign_an_invitation_that_arrived_invites_as_the_mail_merge_log_does(
    pipeline: None, run: Any, tmp_path: Path
) -> None:
    sheet = yamm_sheet_from_export(
        run, tmp_path / "invitations.xlsx", {"epsilon@example.org": "BOUNCED"}
    )
    result = ok(run("import", str(sheet), "--campaign", "kids-2027", "--dry-run"))
    assert "sheet 'Invitations'" in result.stderr
    assert "5 sent, 1 bounced, 2 organisations invited" in result.stderr
    assert statuses(run, "kids-2027")["Alpha Kids"] == "prospect", "a dry run changes nothing"

    result = ok(run("import", str(sheet), "--campaign", "kids-2027"))
    assert statuses(run, "kids-2027") == {
        "Alpha Kids": "invited",  # a prospect, reached
        "Beta Jeunesse": "invited",  # not in the campaign yet, reached
        "Gamma Youth": "considering",  # further on already: stays
        "Delta Enfance": "declined",  # stays declined
        "Epsilon Kinder": "prospect",  # the invitation bounced: not invited
    }
    logged = interactions(run)
    assert logged["Eva Alone"][0]["campaign"] == "kids-2027", "logged, though no organisation"
    assert {i[0]["campaign"] for i in logged.values()} == {"kids-2027"}

    # The same rule as `export mailmerge --log-outreach`: what a logged mail merge would
    # have moved, the status file moved.
    history = as_json(run, "signon", "list", "kids-2027")
    moved = {s["organisation"]: s["history"][-1][1:3] for s in history}
    assert moved["Alpha Kids"] == ["prospect", "invited"]
    assert moved["Beta Jeunesse"] == [None, "invited"]
    exported = tmp_path / "after.csv"
    ok(run("export", "mailmerge", str(exported), "--campaign", "kids-2027"))
    with exported.open(encoding="utf-8", newline="") as handle:
        invited_on = {r["Email"]: r["InvitedOn"] for r in csv.DictReader(handle)}
    assert invited_on["alpha@example.org"] and invited_on["beta@example.org"]
    assert invited_on["gamma@example.org"] == ""


def test_a_status_file_is_undone_as_one_batch(pipeline: None, run: Any, tmp_path: Path) -> None:
    sheet = yamm_sheet_from_export(
        run,
        tmp_path / "invitations.csv",
        {"epsilon@example.org": "BOUNCED", "gamma@example.org": "UNSUBSCRIBED"},
    )
    before_contacts = contacts(run)
    before_statuses = statuses(run, "kids-2027")
    ok(run("import", str(sheet), "--campaign", "kids-2027"))
    batch = as_json(run, "imports", "list")[0]
    assert batch["file_name"] == "invitations.csv"
    assert batch["counts"]["interactions logged"] == 6
    assert batch["counts"]["organisations invited"] == 2
    assert interactions(run) and statuses(run, "kids-2027") != before_statuses

    result = ok(run("imports", "undo", str(batch["id"]), "--yes"))
    assert "Undid import batch" in result.stderr
    assert interactions(run) == {}
    assert statuses(run, "kids-2027") == before_statuses
    history = {s["organisation"]: s["history"] for s in as_json(run, "signon", "list", "kids-2027")}
    assert [h[2] for h in history["Alpha Kids"]] == ["prospect"], "its move is gone too"
    assert contacts(run) == before_contacts, "flags and addresses as they were"


def test_an_undo_waits_for_later_edits_of_the_people_it_flagged(members: None, run: Any) -> None:
    ok(run("import", str(SAMPLES / "yamm-merge-status.csv")))
    batch = as_json(run, "imports", "list")[0]["id"]
    ok(run("contact", "edit", "juergen.fischer@example.net", "--role", "Chair"))
    message = fails(run("imports", "undo", str(batch), "--yes"))
    assert message.startswith(f"Error: Cannot undo import batch #{batch}")
    assert "Jürgen Fischer" in message


def test_the_plan_is_shown_and_nothing_changes_on_a_dry_run(
    members: None, run: Any, db_path: Path, tmp_path: Path
) -> None:
    before = sha(db_path)
    report = tmp_path / "report.csv"
    result = ok(
        run("import", str(SAMPLES / "yamm-merge-status.csv"), "--dry-run", "--report", str(report))
    )
    assert "Dry run: nothing was changed." in result.stderr
    assert sha(db_path) == before
    with report.open(encoding="utf-8", newline="") as handle:
        rows = {r["email"]: r for r in csv.DictReader(handle)}
    assert rows["giulia.rossi@example.net"]["action"] == "apply"
    assert rows["giulia.rossi@example.net"]["outcome"] == "opened"
    assert rows["h.virtanen@example.net"]["action"] == "unknown"
    assert rows[""]["status"] == "NO_RECIPIENT"


def test_a_sheet_imported_again_is_refused_and_statuses_not_understood_are_named(
    members: None, run: Any, tmp_path: Path
) -> None:
    sheet = tmp_path / "merge.csv"
    text = (SAMPLES / "yamm-merge-status.csv").read_text(encoding="utf-8")
    sheet.write_text(text.replace("EMAIL_CLICKED", "EMAIL_QUEUED"), encoding="utf-8")
    result = ok(run("import", str(sheet)))
    assert "row 4: status 'EMAIL_QUEUED' not understood; left alone" in result.stderr
    assert "José Núñez" not in interactions(run)
    assert (
        "Already imported as batch #2; --force imports it again."
        in ok(run("import", "--dry-run", str(sheet))).stderr
    )
    message = fails(run("import", str(sheet)))
    assert message.endswith(
        "Error: merge.csv was already imported (batch #2); pass --force to import it again, "
        "or undo that batch first."
    )


# --- Mailchimp ----------------------------------------------------------------------------


def test_mailchimp_exports_of_cleaned_and_unsubscribed_members(members: None, run: Any) -> None:
    result = ok(run("import", str(SAMPLES / "mailchimp-cleaned.csv")))
    assert "2 rows — 1 bounced; 1 address not known." in result.stderr
    assert "Emails dated by the file's times: 2026-11-03 (UTC)." in result.stderr
    result = ok(run("import", str(SAMPLES / "mailchimp-unsubscribed.csv")))
    assert "2 rows — 2 unsubscribed." in result.stderr

    people_now = contacts(run)
    assert people_now["juergen.fischer@example.net"]["bounced"] is True
    assert people_now["noemie.lefevre@example.net"]["do_not_contact"] is True
    assert people_now["daan.devries@example.net"]["do_not_contact"] is True
    assert "old.office@example.org" not in people_now

    logged = interactions(run)
    # The campaign that bounced or was unsubscribed from is the email's subject, dated by
    # Mailchimp's time (UTC).
    jurgen = logged["Jürgen Fischer"][0]
    assert (jurgen["subject"], jurgen["outcome"]) == (INVITATION, "bounced")
    assert jurgen["occurred_at"] == "2026-11-03T09:41:07Z"
    noemie = logged["Noémie Lefèvre"][0]
    assert (noemie["subject"], noemie["outcome"]) == (INVITATION, "unsubscribed")
    assert noemie["notes"].endswith("(I no longer want to receive these emails)")
    # Unsubscribed by an admin, from no campaign: no email to log, only the flag.
    assert "Daan de Vries" not in logged


def test_the_same_answers_in_a_later_export_are_not_logged_twice(
    members: None, run: Any, tmp_path: Path
) -> None:
    ok(run("import", str(SAMPLES / "mailchimp-cleaned.csv")))
    later = tmp_path / "cleaned_members_export_later.csv"
    lines = (SAMPLES / "mailchimp-cleaned.csv").read_text(encoding="utf-8").splitlines()
    newer = lines[1].replace("juergen.fischer@example.net", "lena.schneider@example.net")
    newer = newer.replace("Jürgen,Fischer", "Lena,Schneider").replace("09:41:07", "10:02:45")
    later.write_text("\n".join([*lines, newer]) + "\n", encoding="utf-8")
    result = ok(run("import", str(later)))
    assert "3 rows — 1 bounced; 1 address not known, 1 row already recorded." in result.stderr
    logged = interactions(run)
    assert len(logged["Jürgen Fischer"]) == 1
    assert len(logged["Lena Schneider"]) == 1


# --- Thunderbird Mail Merge ---------------------------------------------------------------


def test_a_thunderbird_mail_merge_log(members: None, run: Any) -> None:
    result = ok(run("import", str(SAMPLES / "thunderbird-mail-merge-log.csv")))
    assert "5 rows — 3 sent; 1 address not known, 1 row not sent." in result.stderr
    assert "Not known, left alone: pat@example.org." in result.stderr
    logged = interactions(run)
    assert set(logged) == {"Émilie Müller", "Lena Schneider", "Giulia Rossi"}
    emilie = logged["Émilie Müller"][0]
    assert emilie["subject"] == INVITATION
    assert emilie["occurred_at"] == "2026-11-03T08:15:02Z", "the Date header, +0100, in UTC"
    assert contacts(run)["juergen.fischer@example.net"]["bounced"] is False, "failed, not bounced"


def test_a_log_with_day_first_local_times(members: None, run: Any, tmp_path: Path) -> None:
    log = tmp_path / "versand.csv"
    log.write_text(
        "Recipient;Subject;Date;Status\r\n"
        "lena.schneider@example.net;Einladung;13.11.2026 09:15;sent\r\n"
        "juergen.fischer@example.net;Einladung;13.11.2026 09:16;error - timeout\r\n",
        encoding="utf-8",
    )
    result = ok(run("import", str(log)))
    assert "2 rows — 1 sent; 1 row not sent." in result.stderr
    assert interactions(run)["Lena Schneider"][0]["subject"] == "Einladung"


# --- what is recognised, and bad input ----------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "tool"),
    [
        ("yamm-merge-status.csv", "yamm"),
        ("mailchimp-cleaned.csv", "mailchimp-cleaned"),
        ("mailchimp-unsubscribed.csv", "mailchimp-unsubscribed"),
        ("thunderbird-mail-merge-log.csv", "thunderbird"),
        ("signon-form.csv", None),  # "Email Address", but a form's replies
        ("coalition-members.xlsx", None),
    ],
)
def test_each_tool_is_recognised_by_its_headers(sample: str, tool: str | None) -> None:
    table = open_table(SAMPLES / sample)
    assert table.headers is not None
    found = mailtools.recognise(table.headers)
    assert (found.key if found else None) == tool


def test_show_mapping_says_how_a_status_file_is_read(run: Any) -> None:
    result = ok(run("import", str(SAMPLES / "yamm-merge-status.csv"), "--show-mapping"))
    assert (
        "yamm-merge-status.csv: read as a YAMM merge status sheet (recipient 'Email Address', "
        "status 'Merge status'); no mapping needed." in result.stderr
    )


def test_a_merge_status_sheet_without_addresses_is_refused(
    members: None, run: Any, db_path: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "merge.csv"
    sheet.write_text("Name,Merge status\r\nGiulia Rossi,EMAIL_SENT\r\n", encoding="utf-8")
    before = sha(db_path)
    message = fails(run("import", str(sheet)))
    assert message == (
        "Error: merge.csv looks like a YAMM merge status sheet but has no column of recipients' "
        "addresses (such as Email Address); name that column Email."
    )
    assert sha(db_path) == before


def test_an_unknown_campaign_is_refused_and_nothing_changes(
    members: None, run: Any, db_path: Path
) -> None:
    before = sha(db_path)
    message = fails(run("import", str(SAMPLES / "yamm-merge-status.csv"), "--campaign", "nope"))
    assert "nope" in message and "\n" not in message
    assert sha(db_path) == before


def test_with_a_mapping_the_sheet_is_read_as_people(
    members: None, run: Any, tmp_path: Path
) -> None:
    # A sheet YAMM sent from can also be a list of people to add: --mapping says so.
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\n"Email Address" = "email"\n"Full Name" = "full_name"\n'
        '"Merge status" = "ignore"\n',
        encoding="utf-8",
    )
    result = ok(run("import", str(SAMPLES / "yamm-merge-status.csv"), "--mapping", str(mapping)))
    assert "10 duplicates skipped" in result.stderr
    assert "h.virtanen@example.net" in contacts(run)
    assert interactions(run) == {}


def test_after_a_logged_mail_merge_the_sheet_completes_its_emails_rather_than_repeat_them(
    pipeline: None, run: Any, tmp_path: Path
) -> None:
    """Invite with --log-outreach, send with YAMM, import its sheet: each person still has
    one invitation email, now with what became of it; undo takes the outcomes back."""
    sent = tmp_path / "sent.csv"
    ok(run("export", "mailmerge", str(sent), "--campaign", "kids-2027",
           "--log-outreach", INVITATION))  # fmt: skip
    before = {name: len(emails) for name, emails in interactions(run).items()}
    assert set(before.values()) == {1}
    sheet = yamm_sheet_from_export(
        run, tmp_path / "status.csv",
        {"alpha@example.org": "EMAIL_OPENED", "beta@example.org": "EMAIL_CLICKED",
         "epsilon@example.org": "BOUNCED"},
    )  # fmt: skip
    result = ok(run("import", str(sheet), "--campaign", "kids-2027"))
    assert "6 rows — 1 opened, 1 clicked, 1 bounced; 3 rows already recorded." in result.stderr
    logged = interactions(run)
    assert {name: len(emails) for name, emails in logged.items()} == before
    outcomes = {name: emails[0]["outcome"] for name, emails in logged.items()}
    assert outcomes["Alpha Example"] == "opened"
    assert outcomes["Beta Example"] == "clicked"
    assert outcomes["Epsilon Example"] == "bounced"
    assert outcomes["Gamma Example"] is None  # "sent": the email says so already
    assert all(e[0]["subject"] == INVITATION for e in logged.values())
    assert contacts(run)["epsilon@example.org"]["bounced"] is True

    batch = as_json(run, "imports", "list")[0]["id"]
    ok(run("imports", "undo", str(batch), "--yes"))
    after = interactions(run)
    assert {name: len(emails) for name, emails in after.items()} == before
    assert {e[0]["outcome"] for e in after.values()} == {None}
    assert contacts(run)["epsilon@example.org"]["bounced"] is False
