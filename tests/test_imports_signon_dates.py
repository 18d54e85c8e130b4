"""A form reply's sign-on is dated by when the form was answered, not by the import.

Each test writes the file as the program that makes it would (Google Forms' CSV download,
a Google Sheet in a UK or US locale saved as CSV, Microsoft Forms' Excel download,
Typeform's CSV) and imports it with `coalition import FILE --campaign C`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coalition.domain.pipeline import signons_over_time
from coalition.store.database import open_database
from tests.conftest import database_state, ok

GOOGLE_FORM = [
    "Timestamp",
    "Email Address",
    "Your name",
    "Name of your organisation",
    "Country",
    "Do you wish to sign the joint statement?",
]


def google_form_csv(path: Path, rows: list[list[str]], headers: list[str] = GOOGLE_FORM) -> Path:
    """As Google Forms' "Download responses (.csv)" writes it: UTF-8, every field quoted."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def signons(run: Any) -> dict[str, dict[str, Any]]:
    listed = json.loads(ok(run("signon", "list", "csam-2022", "--format", "json")).stdout)
    return {s["organisation"]: s for s in listed}


@pytest.fixture
def campaign(run: Any) -> None:
    ok(run("campaign", "add", "csam-2022", "--opened", "2026-10-01"))


def _clock_in(zone: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", zone)
        time.tzset()
        yield
    time.tzset()


@pytest.fixture(autouse=True)
def _utc_clock() -> Iterator[None]:
    """Times without a zone are the computer's local time: these tests' computer is in UTC…"""
    yield from _clock_in("UTC")


@pytest.fixture
def brussels_time(_utc_clock: None) -> Iterator[None]:
    """… but for this one, in Brussels (UTC+1 in November), as a coordinator's is."""
    yield from _clock_in("Europe/Brussels")


def test_google_forms_replies_are_signed_on_their_timestamps(
    run: Any, tmp_path: Path, db_path: Path | str, campaign: None
) -> None:
    form = google_form_csv(
        tmp_path / "Joint statement (Responses).csv",
        [
            ["2026/11/05 14:03:22 GMT+1", "lea@example.org", "Léa Martin", "Alpha Enfance",
             "France", "Oui"],
            ["2026/11/05 16:40:01 GMT+1", "jan@example.net", "Jan Kowal", "Fundacja Beta",
             "Poland", "Tak"],
            ["2026/11/09 9:12:45 AM GMT+1", "eva@example.org", "Eva Gamma", "Gamma Kinder",
             "Austria", "No"],
        ],
    )  # fmt: skip
    ok(run("import", str(form), "--campaign", "csam-2022"))
    listed = signons(run)
    # The time is stored as UTC, like every time coalition keeps.
    assert listed["Alpha Enfance"]["status_since"] == "2026-11-05T13:03:22Z"
    assert listed["Alpha Enfance"]["history"][0][0] == "2026-11-05T13:03:22Z"
    assert listed["Fundacja Beta"]["status_since"] == "2026-11-05T15:40:01Z"
    assert listed["Gamma Kinder"]["status"] == "declined"
    assert listed["Gamma Kinder"]["status_since"] == "2026-11-09T08:12:45Z"
    # The campaign's signatures per day count them on the day they signed.
    database = open_database(db_path)
    try:
        with database.read_session() as session:
            days = signons_over_time(session, 1, today=dt.date(2026, 12, 7))
    finally:
        database.close()
    per_day = {p.start: p.signed for p in days if p.signed}
    assert per_day == {dt.date(2026, 11, 5): 2}


def test_the_dry_run_says_which_dates_it_will_use(
    run: Any, tmp_path: Path, db_path: Path | str, campaign: None
) -> None:
    form = google_form_csv(
        tmp_path / "replies.csv",
        [
            ["2026/10/12 10:00:00 GMT+2", "lea@example.org", "Léa Martin", "Alpha", "FR", "Oui"],
            ["2026/10/20 11:30:00 GMT+2", "jan@example.net", "Jan Kowal", "Beta", "PL", "Tak"],
            ["", "eva@example.org", "Eva Gamma", "Gamma", "AT", "Ja"],
        ],
    )
    report = tmp_path / "plan.csv"
    before = database_state(db_path)
    result = ok(
        run("import", str(form), "--campaign", "csam-2022", "--dry-run", "--report", str(report))
    )
    assert (
        "Sign-ons dated by when each row was answered: 2026-10-12 to 2026-10-20 (UTC); "
        "1 without an answer time is dated now." in result.stderr
    )
    rows = {r["name"]: r for r in csv.DictReader(report.open(encoding="utf-8"))}
    assert rows["Léa Martin"]["answered_at"] == "2026-10-12 08:00:00"
    assert rows["Eva Gamma"]["answered_at"] == ""
    assert database_state(db_path) == before


@pytest.mark.parametrize(
    ("stamps", "reading", "first"),
    [
        # A Google Sheet in a UK locale, saved as CSV: day first, as the 13th shows.
        (["05/11/2026 14:03:22", "13/11/2026 09:00:00"], "read day first", "2026-11-05"),
        # The same sheet in a US locale: month first, as the 13th shows.
        (["11/5/2026 14:03:22", "11/13/2026 9:00:00"], "read month first", "2026-11-05"),
        # Nothing past 12 either way: the replies came in order, so 10/11 then 11/11 …
        (["10/11/2026 09:00:00", "11/11/2026 10:00:00", "01/12/2026 10:00:00"],
         "read day first", "2026-11-10"),
        # … and here only month first keeps them in order.
        (["11/10/2026 09:00:00", "11/11/2026 10:00:00", "12/01/2026 10:00:00"],
         "read month first", "2026-11-10"),
    ],
)  # fmt: skip
def test_day_and_month_are_read_as_the_rest_of_the_file_writes_them(
    run: Any, tmp_path: Path, campaign: None, stamps: list[str], reading: str, first: str
) -> None:
    people = [("Léa Martin", "lea@example.org"), ("Jan Kowal", "jan@example.net"),
              ("Eva Gamma", "eva@example.org")]  # fmt: skip
    form = google_form_csv(
        tmp_path / "sheet.csv",
        [
            [stamp, email, name, f"Organisation {i}", "BE", "Yes"]
            for i, (stamp, (name, email)) in enumerate(zip(stamps, people, strict=False))
        ],
    )
    result = ok(run("import", str(form), "--campaign", "csam-2022"))
    assert reading in result.stderr
    assert signons(run)["Organisation 0"]["status_since"].startswith(first)


def test_a_time_without_a_zone_is_the_computers_local_time(
    run: Any, tmp_path: Path, campaign: None, brussels_time: None
) -> None:
    form = google_form_csv(
        tmp_path / "sheet.csv",
        [["05/11/2026 14:03:22", "lea@example.org", "Léa Martin", "Alpha", "FR", "Oui"]],
    )
    ok(run("import", str(form), "--campaign", "csam-2022"))
    assert signons(run)["Alpha"]["status_since"] == "2026-11-05T13:03:22Z"


def test_microsoft_forms_excel_is_dated_by_its_completion_time(
    run: Any, tmp_path: Path, campaign: None
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name",
                  "Name of your organisation", "Country", "Do you wish to sign?"])  # fmt: skip
    sheet.append([1, dt.datetime(2026, 11, 3, 9, 58, 10), dt.datetime(2026, 11, 3, 10, 4, 55),
                  "lea@example.org", "Léa Martin", "Alpha Enfance", "France", "Yes"])  # fmt: skip
    sheet.append([2, dt.datetime(2026, 11, 4, 23, 55, 0), dt.datetime(2026, 11, 5, 0, 2, 30),
                  "jan@example.net", "Jan Kowal", "Fundacja Beta", "Poland", "Yes"])  # fmt: skip
    path = tmp_path / "Joint statement(1-2).xlsx"
    workbook.save(path)
    ok(run("import", str(path), "--campaign", "csam-2022"))
    listed = signons(run)
    assert listed["Alpha Enfance"]["status_since"] == "2026-11-03T10:04:55Z"
    assert listed["Fundacja Beta"]["status_since"] == "2026-11-05T00:02:30Z"


def test_typeform_submit_date_in_utc(run: Any, tmp_path: Path, campaign: None) -> None:
    path = tmp_path / "responses.csv"
    headers = ["#", "Your name", "Your email", "Your organisation", "Do you want to sign?",
               "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerow(["a1b2c3", "Léa Martin", "lea@example.org", "Alpha Enfance", "Yes",
                         "2026-11-06 08:59:00", "2026-11-06 09:01:44", "9f8e7d"])  # fmt: skip
    ok(run("import", str(path), "--campaign", "csam-2022"))
    assert signons(run)["Alpha Enfance"]["status_since"] == "2026-11-06T09:01:44Z"


def test_unreadable_and_future_times_are_row_warnings_and_dated_now(
    run: Any, tmp_path: Path, campaign: None
) -> None:
    form = google_form_csv(
        tmp_path / "replies.csv",
        [
            ["2026/10/12 10:00:00 GMT+2", "lea@example.org", "Léa Martin", "Alpha", "FR", "Oui"],
            ["yesterday afternoon", "jan@example.net", "Jan Kowal", "Beta", "PL", "Tak"],
            ["2031/01/01 10:00:00 GMT+1", "eva@example.org", "Eva Gamma", "Gamma", "AT", "Ja"],
        ],
    )
    result = run("import", str(form), "--campaign", "csam-2022")
    ok(result)
    assert "Traceback" not in result.output
    assert (
        "row 3: answer time 'yesterday afternoon' not understood; the sign-on is dated now"
        in result.stderr
    )
    assert (
        "row 4: answer time '2031/01/01 10:00:00 GMT+1' is in the future; "
        "the sign-on is dated now" in result.stderr
    )
    listed = signons(run)
    assert {s["status"] for s in listed.values()} == {"signed"}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert listed["Beta"]["status_since"].startswith(today)
    assert listed["Gamma"]["status_since"].startswith(today)
    assert listed["Alpha"]["status_since"] == "2026-10-12T08:00:00Z"


def test_the_sample_form_is_dated_by_its_timestamps(run: Any, campaign: None) -> None:
    sample = Path(__file__).resolve().parent.parent / "imports" / "signon-form.csv"
    ok(run("import", str(sample), "--campaign", "csam-2022"))
    listed = signons(run)
    assert listed["Enfance & Numérique"]["status_since"].startswith("2026-10-01")
    assert listed["Gyermekvédelmi Egyesület"]["status_since"].startswith("2026-10-05")


def test_a_reading_that_puts_answers_in_the_future_is_not_taken() -> None:
    from coalition.domain.imports.records import read_answer_times

    # On 7 December, "03/12/2026" and "11/12/2026" read day first would be the 3rd and the
    # 11th of December, the 11th still to come: they are the 12th of March and of November.
    read = read_answer_times(
        [("row 2", "03/12/2026 10:00"), ("row 3", "11/12/2026 10:00")],
        now=dt.datetime(2026, 12, 7),
    )
    assert read.times == [dt.datetime(2026, 3, 12, 10), dt.datetime(2026, 11, 12, 10)]
    assert read.reading is not None and read.reading.startswith("read month first")
    # With nothing to tell them apart, day first, as across Europe.
    read = read_answer_times([("row 2", "03/04/2026 10:00")], now=dt.datetime(2026, 12, 7))
    assert read.times == [dt.datetime(2026, 4, 3, 10)]
    assert read.reading == "read day first (DD/MM/YYYY): no row says otherwise"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-05T14:03:22Z", dt.datetime(2026, 11, 5, 14, 3, 22)),
        ("2026-11-05T14:03:22+01:00", dt.datetime(2026, 11, 5, 13, 3, 22)),
        ("2026-11-05 14:03", dt.datetime(2026, 11, 5, 14, 3)),
        ("2026-11-05", dt.datetime(2026, 11, 5)),
        ("2026/11/05 2:03:22 PM GMT+1", dt.datetime(2026, 11, 5, 13, 3, 22)),
        ("2026/11/05 12:10:00 AM GMT-5", dt.datetime(2026, 11, 5, 5, 10)),
        ("05.11.2026 14:03", dt.datetime(2026, 11, 5, 14, 3)),
        ("5/11/26 14:03", dt.datetime(2026, 11, 5, 14, 3)),
        ("2026-11-05 14:03:22.517 UTC", dt.datetime(2026, 11, 5, 14, 3, 22, 517000)),
    ],
)
def test_the_usual_formats(text: str, expected: dt.datetime) -> None:
    from coalition.domain.imports.records import read_answer_times

    read = read_answer_times([("row 2", text)], now=dt.datetime(2026, 12, 7))
    assert (read.times, read.problems) == ([expected], [None])


@pytest.mark.parametrize("text", ["31/02/2026 10:00", "2026-13-01", "25:00", "2026/11/05 13:00 PM"])
def test_what_cannot_be_read_says_so(text: str) -> None:
    from coalition.domain.imports.records import read_answer_times

    read = read_answer_times([("row 2", text)], now=dt.datetime(2026, 12, 7))
    assert read.times == [None]
    assert read.problems[0] is not None and "not understood" in read.problems[0]


def test_a_final_answer_imported_closes_the_campaigns_followups_and_undo_reopens_them(
    run: Any, tmp_path: Path, campaign: None
) -> None:
    """A form's "yes" is the answer the follow-up waited for, as when it is set by hand;
    a reminder about another campaign stays; undoing the import opens it again."""
    ok(run("campaign", "add", "other-2027"))
    ok(run("org", "add", "Alpha Enfance", "--country", "FR"))
    ok(run("org", "add", "Fundacja Beta", "--country", "PL"))
    for org, about in (
        ("Alpha Enfance", "csam-2022"),
        ("Alpha Enfance", "other-2027"),
        ("Fundacja Beta", "csam-2022"),
    ):
        ok(run("log", "--org", org, "--campaign", about, "--subject", "Invitation",
               "--follow-up", "2027-01-10", "--keep-followups"))  # fmt: skip
    form = google_form_csv(
        tmp_path / "replies.csv",
        [
            ["2026/11/05 14:03:22 GMT+1", "lea@example.org", "Léa Martin", "Alpha Enfance",
             "France", "Oui"],
            ["2026/11/05 16:40:01 GMT+1", "jan@example.net", "Jan Kowal", "Fundacja Beta",
             "Poland", "Peut-être"],
        ],
    )  # fmt: skip
    ok(run("import", str(form), "--campaign", "csam-2022"))

    def still_open() -> set[tuple[str, str]]:
        rows = json.loads(ok(run("followups", "--format", "json")).stdout)
        return {(r["organisation"], r["campaign"]) for r in rows}

    # Alpha signed csam-2022: that follow-up closed. Beta has not answered yet.
    assert still_open() == {("Alpha Enfance", "other-2027"), ("Fundacja Beta", "csam-2022")}
    batch = json.loads(ok(run("imports", "list", "--format", "json")).stdout)[0]["id"]
    ok(run("imports", "undo", str(batch), "--yes"))
    assert still_open() == {
        ("Alpha Enfance", "csam-2022"),
        ("Alpha Enfance", "other-2027"),
        ("Fundacja Beta", "csam-2022"),
    }
