"""`coalition export mailmerge --preset`: the mail merge with its columns named as each mail
tool expects them (the sources are beside ``exporter.MAILMERGE_PRESETS``): Mailchimp's
import and YAMM read "Email Address", "First Name", "Last Name"; Thunderbird Mail Merge reads
each header as a {{variable}}, {{Email}} among them. The cells are those of the default."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from coalition.interchange import mailtools
from coalition.interchange.tabular import open_table
from tests.conftest import ok

SAMPLES = Path(__file__).resolve().parent.parent / "imports"

DEFAULT = [
    "Email", "Salutation", "GivenName", "FamilyName", "FullName", "Organisation", "Role",
    "Country", "Language", "CampaignStatus", "InvitedOn", "DisplayName",
]  # fmt: skip
SPACED = [
    "Email Address", "Salutation", "First Name", "Last Name", "Full Name", "Organisation",
    "Role", "Country", "Language", "Campaign Status", "Invited On", "Display Name",
]  # fmt: skip


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def members(run: Any) -> None:
    ok(run("import", str(SAMPLES / "coalition-members.xlsx")))
    ok(run("campaign", "add", "csam-2022"))


@pytest.mark.parametrize(
    ("preset", "headers"),
    [(None, DEFAULT), ("mailchimp", SPACED), ("yamm", SPACED), ("thunderbird", DEFAULT)],
)
def test_each_preset_names_the_columns_and_keeps_the_cells(
    members: None, run: Any, tmp_path: Path, preset: str | None, headers: list[str]
) -> None:
    default = tmp_path / "default.csv"
    ok(run("export", "mailmerge", str(default), "--campaign", "csam-2022"))
    out = tmp_path / f"{preset}.csv"
    extra = ["--preset", preset] if preset else []
    result = ok(run("export", "mailmerge", str(out), "--campaign", "csam-2022", *extra))
    assert "Wrote 12 recipients" in result.stderr
    header, *rows = read_rows(out)
    assert header == headers
    assert rows == read_rows(default)[1:]
    giulia = dict(zip(header, rows[0], strict=True))
    address = "Email" if "Email" in header else "Email Address"
    assert giulia[address] == "giulia.rossi@example.net"


def test_the_yamm_preset_in_xlsx_is_the_sheet_yamm_sends_from(
    members: None, run: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "invitations.xlsx"
    ok(run("export", "mailmerge", str(out), "--preset", "yamm"))
    sheet = load_workbook(out).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == SPACED
    assert sheet["A2"].value == "giulia.rossi@example.net"
    assert sheet["C2"].value == "Giulia"
    table = open_table(out)
    assert table.headers is not None
    assert mailtools.recognise(table.headers) is None, "no Merge status yet: a file of people"


def test_a_logged_mail_merge_takes_a_preset_too(members: None, run: Any, tmp_path: Path) -> None:
    out = tmp_path / "mailchimp.csv"
    result = ok(
        run("export", "mailmerge", str(out), "--preset", "mailchimp", "--campaign", "csam-2022",
            "--log-outreach", "Invitation")
    )  # fmt: skip
    assert "moved to invited" in result.stderr
    header, first, *_ = read_rows(out)
    assert dict(zip(header, first, strict=True))["Campaign Status"] == "invited"


def test_an_unknown_preset_is_a_usage_error(run: Any, tmp_path: Path) -> None:
    result = run("export", "mailmerge", str(tmp_path / "x.csv"), "--preset", "outlook")
    assert result.exit_code == 2
    assert "'outlook' is not one of 'mailchimp', 'thunderbird', 'yamm'" in result.stderr
