"""The command line, as a user and a script drive it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ok


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(run: Any) -> Any:
    ok(
        run(
            "org",
            "add",
            "Minors Care Example",
            "--acronym",
            "MCE",
            "--country",
            "BE",
            "--tag",
            "eu",
        )
    )
    ok(
        run(
            "contact",
            "add",
            "--name",
            "Émilie Müller",
            "--email",
            "emilie.muller@example.org",
            "--org",
            "Minors Care Example",
            "--role",
            "Policy Officer",
            "--tag",
            "eu",
            "--phone",
            "+32 2 555 01 01",
        )
    )
    ok(
        run(
            "contact",
            "add",
            "--name",
            "Zoë Ångström-Łukasiewicz",
            "--email",
            "work:zoe@example.net",
            "--org",
            "Fundacja Przykład",
        )
    )
    ok(run("campaign", "add", "csam-2022", "--name", "Joint statement", "--target", "100"))
    return run


def test_contact_list_json_round_trips_non_ascii_names(filled: Any) -> None:
    out = ok(filled("contact", "list", "--format", "json")).stdout
    data = json.loads(out)
    assert [c["display_name"] for c in data] == ["Émilie Müller", "Zoë Ångström-Łukasiewicz"]
    emilie, zoe = data
    assert emilie["given_name"] == "Émilie" and emilie["family_name"] == "Müller"
    assert emilie["organisation"] == "Minors Care Example"
    assert emilie["role"] == "Policy Officer"
    assert emilie["emails"] == [
        {
            "address": "emilie.muller@example.org",
            "label": None,
            "primary": True,
            "valid": True,
            "invalid_reason": None,
        }
    ]
    assert emilie["phones"][0]["e164"] == "+3225550101"
    assert emilie["tags"] == ["eu"]
    assert zoe["emails"][0]["label"] == "work"
    assert zoe["organisation"] == "Fundacja Przykład"
    assert "Ångström" in out, "JSON keeps characters readable, not \\u-escaped"


def test_contact_edit_labels_an_address_and_a_number_the_contact_has(filled: Any) -> None:
    ok(
        filled(
            "contact",
            "edit",
            "Émilie Müller",
            "--label-email",
            "work:Emilie.Muller@example.org",  # as typed, not as stored
            "--label-phone",
            "mobile:+3225550101",  # by its international form
        )
    )
    ok(filled("contact", "edit", "zoe@example.net", "--label-email", "zoe@example.net"))  # cleared
    emilie, zoe = json.loads(ok(filled("contact", "list", "--format", "json")).stdout)
    assert [(e["address"], e["label"]) for e in emilie["emails"]] == [
        ("emilie.muller@example.org", "work")
    ]
    assert [(p["number"], p["label"]) for p in emilie["phones"]] == [("+32 2 555 01 01", "mobile")]
    assert zoe["emails"][0]["label"] is None


def test_search_option_and_command(filled: Any) -> None:
    data = json.loads(ok(filled("contact", "list", "--search", "nowak", "--format", "json")).stdout)
    assert data == []
    data = json.loads(
        ok(filled("contact", "list", "--search", "angstr", "--format", "json")).stdout
    )
    assert [c["display_name"] for c in data] == ["Zoë Ångström-Łukasiewicz"]
    hits = json.loads(ok(filled("search", "mull", "--format", "json")).stdout)
    assert [(h["kind"], h["title"]) for h in hits] == [("contact", "Émilie Müller")]


def test_csv_output_is_readable_and_safe(filled: Any) -> None:
    import csv
    import io

    ok(filled("org", "add", '=HYPERLINK("http://example.org")'))
    rows = list(csv.DictReader(io.StringIO(ok(filled("org", "list", "--format", "csv")).stdout)))
    names = [r["name"] for r in rows]
    assert '\'=HYPERLINK("http://example.org")' in names
    assert "Fundacja Przykład" in names


def test_markup_in_names_is_printed_literally(run: Any) -> None:
    ok(run("contact", "add", "--name", "Jan [bold]Nowak[/]"))
    out = ok(run("contact", "list")).stdout
    assert "[bold]Nowak[/]" in out


def test_signon_pipeline_from_the_command_line(filled: Any) -> None:
    ok(filled("signon", "set", "MCE", "csam-2022", "invited"))
    refused = filled("signon", "set", "MCE", "csam-2022", "prospect")
    assert refused.exit_code == 1
    assert "Cannot move Minors Care Example from invited to prospect" in refused.stderr
    ok(
        filled(
            "signon",
            "set",
            "MCE",
            "csam-2022",
            "signed",
            "--by",
            "emilie.muller@example.org",
            "--display-name",
            "MCE – Minors Care Example",
            "--private",
        )
    )
    signons = json.loads(ok(filled("signon", "list", "csam-2022", "--format", "json")).stdout)
    assert signons[0]["status"] == "signed"
    assert signons[0]["signed_by"] == "Émilie Müller"
    assert signons[0]["public"] is False
    shown = json.loads(ok(filled("campaign", "show", "csam-2022", "--format", "json")).stdout)
    assert shown["counts"]["signed"] == 1 and shown["target"] == 100


def test_log_and_followups(filled: Any) -> None:
    ok(
        filled(
            "log",
            "--org",
            "MCE",
            "--subject",
            "Invitation",
            "--follow-up",
            "2026-12-01",
            "--campaign",
            "csam-2022",
        )
    )
    ok(
        filled(
            "log",
            "--contact",
            "zoe@example.net",
            "--subject",
            "Invitation",
            "--follow-up",
            "2026-11-30",
        )
    )
    due = json.loads(ok(filled("followups", "--format", "json")).stdout)
    assert [d["follow_up_on"] for d in due] == ["2026-11-30", "2026-12-01"]
    result = ok(
        filled(
            "log",
            "--contact",
            "Émilie Müller",
            "--channel",
            "call",
            "--subject",
            "Reply",
            "--campaign",
            "csam-2022",
        )
    )
    assert "Closed follow-up #1 (Invitation)." in result.stderr
    due = json.loads(ok(filled("followups", "--format", "json")).stdout)
    assert [d["contact"] for d in due] == ["Zoë Ångström-Łukasiewicz"]
    week_on = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    result = ok(filled("followup-postpone", str(due[0]["id"]), "+7"))
    assert f"moved to {week_on}" in result.stderr + result.stdout
    moved = json.loads(ok(filled("followups", "--format", "json")).stdout)
    assert [d["follow_up_on"] for d in moved] == [week_on]
    ok(filled("followup-done", str(due[0]["id"])))
    assert json.loads(ok(filled("followups", "--format", "json")).stdout) == []


def test_history_of_an_organisation(filled: Any) -> None:
    ok(filled("org", "edit", "MCE", "--city", "Brussels"))
    entries = json.loads(ok(filled("history", "MCE", "--format", "json")).stdout)
    actions = [(e["action"], e["entity"]) for e in entries]
    assert ("update", "organisation") in actions and ("create", "organisation") in actions
    update = next(e for e in entries if e["action"] == "update")
    assert update["before"] == {"city": None} and update["after"] == {"city": "Brussels"}
    assert update["coordinator"] == "tester"


def test_as_option_names_the_coordinator(run: Any) -> None:
    ok(run("--as", "alice", "org", "add", "Alpha"))
    entries = json.loads(ok(run("history", "--format", "json")).stdout)
    assert entries[0]["coordinator"] == "alice"


def test_edit_and_delete(filled: Any) -> None:
    ok(
        filled(
            "contact",
            "edit",
            "emilie.muller@example.org",
            "--role",
            "",
            "--add-email",
            "emilie@example.net",
            "--language",
            "French",
        )
    )
    shown = json.loads(ok(filled("contact", "show", "Émilie Müller", "--format", "json")).stdout)
    assert shown["role"] is None and shown["language"] == "fr"
    assert [e["address"] for e in shown["emails"]] == [
        "emilie.muller@example.org",
        "emilie@example.net",
    ]
    declined = filled("contact", "delete", "Émilie Müller", input="n\n")
    assert declined.exit_code == 1
    assert (
        json.loads(ok(filled("contact", "list", "--format", "json")).stdout)[0]["display_name"]
        == "Émilie Müller"
    )
    ok(filled("contact", "delete", "Émilie Müller", input="y\n"))
    ok(filled("org", "delete", "MCE", "--yes"))
    assert [
        o["name"] for o in json.loads(ok(filled("org", "list", "--format", "json")).stdout)
    ] == ["Fundacja Przykład"]


USER_ERRORS = [
    (["contact", "add", "--name", "X", "--email", "x@@example.org"], "not a valid email address"),
    (["contact", "add", "--role", "Director"], "needs at least a name or an email"),
    (["org", "add", "Alpha", "--country", "Atlantis"], "not a country"),
    (["org", "show", "Nonexistent"], "No organisation matches"),
    (["signon", "set", "MCE", "nope", "signed"], "no campaign 'nope'"),
    (["signon", "set", "MCE", "csam-2022", "withdrawn"], "cannot withdraw"),
    (["log", "--org", "MCE", "--channel", "pigeon"], "not a channel"),
    (["log", "--org", "MCE", "--follow-up", "soonish"], "not a date"),
    (["campaign", "add", "csam-2022"], "already exists"),
    (["followup-done", "999"], "no interaction #999"),
    (["followup-postpone", "999", "+7"], "no interaction #999"),
    (
        ["contact", "edit", "emilie.muller@example.org", "--remove-email", "x@example.org"],
        "has no address",
    ),
    (
        ["contact", "edit", "emilie.muller@example.org", "--label-phone", "work:+32 2 555 09 09"],
        "has no phone +32 2 555 09 09",
    ),
]


@pytest.mark.parametrize(
    ("args", "message"), USER_ERRORS, ids=[" ".join(a[:2]) for a, _ in USER_ERRORS]
)
def test_user_errors_exit_1_with_one_sentence_and_change_nothing(
    filled: Any, db_path: Path, args: list[str], message: str
) -> None:
    before = sha(db_path)
    result = filled(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert sha(db_path) == before


def test_usage_errors_exit_2(run: Any) -> None:
    assert run("org", "add").exit_code == 2
    assert run("contact", "list", "--format", "xml").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_real_process_errors_have_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "COALITION_DB": str(tmp_path / "c.db"), "COALITION_USER": "tester"}
    cases = [
        ["contact", "add", "--email", "bad@@example.org"],
        ["--db", str(tmp_path), "init"],
        ["--db", "/proc/version", "init"],
        ["--db", str(tmp_path / "typo" / "c.db"), "org", "list"],  # a folder that is not there
    ]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "coalition", *args], capture_output=True, text=True, env=env
        )
        assert proc.returncode == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("Error: ")


def test_no_command_on_a_database_in_a_missing_folder_says_so_before_opening_the_app(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coalition.tui.app import CoalitionApp

    opened: list[Any] = []
    monkeypatch.setattr(CoalitionApp, "run", lambda self: opened.append(self.db_target))
    result = run(db=tmp_path / "typo" / "coalition.db")
    assert result.exit_code == 1
    assert "There is no folder" in result.stderr and "typo" in result.stderr
    assert opened == [] and not (tmp_path / "typo").exists()


def test_no_command_opens_the_app_on_the_chosen_database(
    run: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coalition.tui.app import CoalitionApp

    opened: list[Any] = []
    monkeypatch.setattr(CoalitionApp, "run", lambda self: opened.append(self.db_target))
    ok(run())
    assert opened == [str(db_path)]


def test_init_prints_the_database_path_and_defaults_to_the_user_data_dir(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from coalition.cli import cli

    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    printed = Path(result.stdout.strip())
    assert printed.exists()
    assert str(printed).startswith(str(tmp_path / "home")), "tests never touch the real data dir"
    assert oct(printed.stat().st_mode & 0o777) == "0o600"


def test_environment_variable_chooses_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from coalition.cli import cli

    target = tmp_path / "chosen.db"
    monkeypatch.setenv("COALITION_DB", str(target))
    result = CliRunner().invoke(cli, ["init"])
    assert result.stdout.strip() == str(target)


def test_unwritable_output_is_one_sentence(filled: Any, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    for args in (
        [
            "import",
            str(Path(__file__).parent.parent / "imports" / "signon-form.csv"),
            "--dry-run",
            "--report",
            str(missing / "report.csv"),
        ],
        ["export", "vcard", str(missing / "x.vcf")],
        ["backup", str(missing / "b.db")],
    ):
        result = filled(*args)
        assert result.exit_code == 1, (args, result.output)
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("Error: ") and "Traceback" not in result.output
