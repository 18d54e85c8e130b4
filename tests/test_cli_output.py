"""How the command line prints: tables that fit a narrow terminal, output piped into head."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from coalition.cli.output import fit_columns
from coalition.domain import campaigns, outreach, people
from tests.conftest import ok

LONG_ORGS = [
    ("Association Européenne pour la Protection des Enfants en Ligne", "AEPEL", "FR"),
    ("Internationale Organisation für Kinderrechte und Digitale Sicherheit e.V.", "IOKDS", "DE"),
    ("Fundación Iberoamericana para la Infancia Conectada y Segura", "", "ES"),
    ("Stichting Kinderen Veilig Online Nederland", "SKVON", "NL"),
]

PEOPLE = [
    ("Marie-Christine", "Vandenberghe", "mc.vandenberghe@example.org", 0),
    ("Bartholomäus", "Schwarzenegger", "b.schwarzenegger@example.net", 1),
    ("Konstantinos", "Papadopoulos", "k.papadopoulos@example.net", 2),
    ("Anneliese", "van der Westhuizen", "a.vanderwesthuizen@example.org", 3),
]


@pytest.fixture
def crowded(unit: Any, run: Any, tmp_path: Path) -> Any:
    """A database with the long names and subjects real coalitions have, in every list."""
    with unit() as w:
        for name, acronym, country in LONG_ORGS:
            people.add_organisation(
                w, name=name, acronym=acronym or None, country=country, tags=["eu", "members"]
            )
        for given, family, email, org in PEOPLE:
            people.add_contact(
                w,
                given_name=given,
                family_name=family,
                emails=[email],
                organisation=LONG_ORGS[org][0],
                role="Senior Policy and Advocacy Coordinator",
                tags=["steering-group"],
            )
        campaigns.add_campaign(
            w,
            "csam-2027",
            name="Joint statement on the protection of children from online sexual abuse",
            deadline="2027-01-31",
            target=250,
            state="open",
        )
        campaigns.set_signon(
            w,
            LONG_ORGS[0][0],
            "csam-2027",
            "signed",
            signed_by=PEOPLE[0][2],
            display_name="Association Européenne pour la Protection des Enfants (AEPEL)",
        )
        campaigns.set_signon(w, LONG_ORGS[1][0], "csam-2027", "considering")
        campaigns.set_signon(w, LONG_ORGS[2][0], "csam-2027", "invited")
        outreach.log_interaction(
            w,
            contact=PEOPLE[1][2],
            subject="Reminder about the joint statement and the signatory deadline in January",
            campaign="csam-2027",
            follow_up_on="2027-01-15",
        )
        outreach.log_interaction(
            w,
            organisation=LONG_ORGS[2][0],
            channel="meeting",
            subject="Conversation with the board about co-signing the statement",
            follow_up_on="2027-01-20",
        )
        people.edit_contact(w, PEOPLE[3][2], {"role": "Head of Children's Rights Programmes"})
    sheet = tmp_path / "Steering group contacts - Brussels assembly 2026 (final v3).csv"
    sheet.write_text(
        "Name,Email,Organisation\n"
        "Maximiliane Oberhuber,maximiliane.oberhuber@example.org,"
        "Österreichische Plattform für Kinderschutz im Digitalen Raum\n"
        "Marie Christine Vandenberghe,mc.vandenberghe@example.net,Association Européenne pour "
        "la Protection des Enfants en Ligne\n",
        encoding="utf-8",
    )
    ok(run("import", str(sheet)))
    ok(run("contact", "add", "--name", "Konstantinos Papadopoulos", "--email", "kp@example.org"))
    ok(run("contact", "merge", PEOPLE[2][2], "kp@example.org", "--yes"))
    twin = f"{PEOPLE[3][0]} {PEOPLE[3][1]}"  # the same name, another address: a likely pair
    ok(run("contact", "add", "--name", twin, "--email", "avdw@example.net"))
    return run


LISTS = [
    # (the command, columns a reader needs even at 80 columns)
    (["contact", "list"], {"id", "name", "organisation", "email"}),
    (["org", "list"], {"id", "name", "country", "membership"}),
    (["campaign", "list"], {"code", "name", "state", "deadline", "signed"}),
    (["signon", "list", "csam-2027"], {"organisation", "status", "since", "signed by"}),
    (["followups"], {"id", "due", "organisation", "contact", "subject"}),
    (["imports", "list"], {"id", "when", "file", "new contacts"}),
    (["merges", "list"], {"id", "when", "kept", "merged into it"}),
    (["duplicates"], {"ids", "names", "reason"}),
    (["search", "Association"], {"kind", "id", "name", "detail"}),
    (["history"], {"when", "action", "what", "label", "changes"}),
]

RULES = re.compile(r"[│┃━╇─]+")
"""The table's rules, between and under the titles."""


@pytest.mark.parametrize(("args", "needed"), LISTS, ids=[" ".join(a) for a, _ in LISTS])
def test_tables_fit_80_columns_without_cutting_a_word(
    crowded: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], needed: set[str]
) -> None:
    """At 80 columns every word, id, date and status of the data prints whole on one line;
    a column with no room is left out, and said so, rather than cut."""
    monkeypatch.setenv("COLUMNS", "80")
    table = ok(crowded(*args))
    data = list(csv.DictReader(io.StringIO(ok(crowded(*args, "--format", "csv")).stdout)))
    assert data, "the table has rows to check"
    lines = table.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    printed = set(RULES.sub(" ", table.stdout).split())
    left_out: set[str] = set()
    if match := re.search(r"Left out at 80 columns: (.*) \(", table.stderr):
        left_out = set(match.group(1).split(", "))
    assert not left_out & needed, table.stderr
    for row in data:
        for column, value in row.items():
            if column in left_out:
                continue
            for word in value.split():
                assert word in printed, f"{' '.join(args)}: {column} {word!r} cut:\n{table.stdout}"


def test_the_merge_preview_at_80_columns_keeps_what_the_merge_gives(
    crowded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    preview = crowded("contact", "merge", PEOPLE[3][2], "avdw@example.net", input="n\n").stderr
    table = preview.split("\n", 1)[1].split("Merge #")[0]
    titles = RULES.sub(" ", table.split("━")[0]).split()
    assert "result" in titles and "field" in titles, preview
    printed = set(RULES.sub(" ", table).split())
    assert {PEOPLE[3][2], "avdw@example.net", "Westhuizen"} <= printed, preview
    assert max(cell_len(line) for line in table.splitlines()) <= 80


def test_a_wide_terminal_shows_every_column(crowded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = ok(crowded("contact", "list"))
    assert "Left out" not in result.stderr
    header = result.stdout.splitlines()[0]
    assert [h.strip() for h in header.split("┃")] == [
        "id",
        "name",
        "organisation",
        "role",
        "email",
        "tags",
    ]


def test_column_widths_keep_words_then_dates_whole() -> None:
    # id, a date with its time, a name: all fit at their longest value.
    assert fit_columns([2, 10, 8], [2, 16, 8], [2, 16, 30], 80) == ([0, 1, 2], [2, 16, 30])
    # Too narrow for the time beside its date: the time goes under it, the name gets the rest.
    assert fit_columns([2, 10, 8], [2, 16, 8], [2, 16, 30], 30) == ([0, 1, 2], [2, 10, 12])
    # No room for a column's longest word: it is left out, the spare one first.
    assert fit_columns([2, 30, 30, 10], [2, 30, 30, 10], [2, 30, 30, 10], 70, spare=[1]) == (
        [0, 2, 3],
        [2, 30, 10],
    )
    # One word wider than the terminal: cut with an ellipsis, the only column there is.
    assert fit_columns([120], [120], [120], 80) == ([0], [80])


def test_output_piped_into_a_reader_that_stops_ends_quietly(
    run: Any, db_path: Path, tmp_path: Path
) -> None:
    """`coalition contact list | head -1`, in every format, over more than a pipe holds:
    no "Error: Broken pipe.", no traceback; the status is 0 or, as for any filter cut off
    by SIGPIPE, 141. (`true` reads nothing at all.)"""
    sheet = tmp_path / "many.csv"
    lines = ["Name,Email,Organisation"]
    lines += [
        f"Person Number{i},person{i}@example.org,Coalition for Children's Digital Safety {i % 40}"
        for i in range(1000)
    ]  # about 100 bytes a row in every format: 100 kB against a pipe's 64
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ok(run("import", str(sheet)))
    env = {**os.environ, "COALITION_DB": str(db_path), "COLUMNS": "100"}
    for fmt, first in (("csv", "id,name"), ("json", "["), ("table", "id")):
        for reader in ("head -1", "true"):
            command = f"'{sys.executable}' -m coalition contact list --format {fmt} | {reader}"
            proc = subprocess.run(
                ["bash", "-c", f"{command}; exit ${{PIPESTATUS[0]}}"],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            assert (proc.stderr, proc.returncode in (0, 141)) == ("", True), (fmt, reader)
            assert proc.stdout.startswith(first if reader != "true" else "")
