"""`coalition imports undo ID` and the work done after the batch that depends on it: named
clearly (kind, what, when, who), and taken back with the batch by `--with-later`."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.domain import imports
from coalition.errors import CoalitionError
from coalition.store.models import ImportBatch, Interaction
from tests.conftest import database_state, fails, ok

TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def members_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """A member list as a coordinator keeps it in Excel."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Members"
    sheet.append(["Organisation", "Country", "First name", "Last name", "E-mail"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


MEMBERS = [
    ["Alpha Enfance", "France", "Léa", "Martin", "lea@example.org"],
    ["Fundacja Beta", "Poland", "Jan", "Kowal", "jan@example.net"],
    ["Gamma Kinder", "Austria", "Eva", "Gamma", "eva@example.org"],
]


def listed(run: Any, *what: str) -> list[dict[str, Any]]:
    return list(json.loads(ok(run(*what, "--format", "json")).stdout))


@pytest.fixture
def invited(run: Any, tmp_path: Path) -> None:
    """Batch #1 brings in three members as prospects of csam-2022; the mail merge then
    invites them (logging the email, moving them to invited) and bob calls one."""
    ok(run("campaign", "add", "csam-2022"))
    ok(run("import", str(members_xlsx(tmp_path / "members.xlsx", MEMBERS)),
           "--campaign", "csam-2022"))  # fmt: skip
    ok(run("export", "mailmerge", str(tmp_path / "invitations.xlsx"), "--campaign", "csam-2022",
           "--status", "prospect", "--log-outreach", "Invitation to sign"))  # fmt: skip
    ok(run("log", "--org", "Fundacja Beta", "--channel", "call",
           "--subject", "Quick call", as_="bob"))  # fmt: skip


def test_the_refusal_lists_the_later_work_by_kind_what_when_and_who(
    me: str, run: Any, db_path: Path | str, invited: None
) -> None:
    before = database_state(db_path)
    message = fails(run("imports", "undo", "1", "--yes"))
    assert message == (
        "Error: Cannot undo import batch #1: later changes depend on it — "
        f"3 interactions logged by {me} on {TODAY} (Invitation to sign); "
        f"1 interaction logged by bob on {TODAY} (Quick call); "
        f"3 sign-ons moved to invited by {me} on {TODAY} "
        "(Alpha Enfance, Fundacja Beta, Gamma Kinder); "
        "--with-later takes them back with the batch."
    )
    assert database_state(db_path) == before


def test_with_later_takes_the_outreach_and_the_moves_back_too(
    me: str, run: Any, db_path: Path | str, invited: None
) -> None:
    result = ok(run("imports", "undo", "1", "--with-later", "--yes"))
    assert result.stderr == (
        "Undid import batch #1 (members.xlsx), and took back "
        f"3 interactions logged by {me} on {TODAY} (Invitation to sign); "
        f"1 interaction logged by bob on {TODAY} (Quick call); "
        f"3 sign-ons moved to invited by {me} on {TODAY} "
        "(Alpha Enfance, Fundacja Beta, Gamma Kinder).\n"
    )
    assert listed(run, "contact", "list") == []
    assert listed(run, "org", "list") == []
    assert listed(run, "signon", "list", "csam-2022") == []
    assert listed(run, "followups") == []
    # The change log says what went, with the batch's undo and for each interaction.
    log = listed(run, "history", "--limit", "100")
    undo = next(e for e in log if e["entity"] == "import_batch" and e["action"] == "update")
    assert undo["coordinator"] == me
    assert undo["after"]["taken_back"][0] == (
        f"3 interactions logged by {me} on {TODAY} (Invitation to sign)"
    )
    deleted = [e for e in log if e["entity"] == "interaction" and e["action"] == "delete"]
    assert sorted(e["label"] for e in deleted) == ["Invitation to sign"] * 3 + ["Quick call"]
    assert all(e["after"] == {"undone_with_import_batch": 1} for e in deleted)
    assert listed(run, "imports", "list")[0]["undone_by"] == me


def test_the_question_names_what_goes_with_the_batch(
    me: str, run: Any, db_path: Path | str, invited: None
) -> None:
    before = database_state(db_path)
    result = run("imports", "undo", "1", "--with-later", input="n\n")
    assert result.exit_code == 1
    assert (
        "Undo import batch #1 and take back "
        f"3 interactions logged by {me} on {TODAY} (Invitation to sign); " in result.stderr
    )
    assert database_state(db_path) == before
    # Without --with-later there is nothing to ask: the refusal comes first.
    refused = run("imports", "undo", "1")
    assert fails(refused).startswith("Error: Cannot undo import batch #1: later changes")
    assert "Undo import batch" not in refused.stderr


def test_outreach_without_a_campaign_is_later_work_too(me: str, run: Any, tmp_path: Path) -> None:
    # The mail merge writes no change-log entry per email: the undo used to delete the
    # people and organisations under them and stop on a database error.
    ok(run("import", str(members_xlsx(tmp_path / "members.xlsx", MEMBERS))))
    ok(run("export", "mailmerge", str(tmp_path / "news.csv"), "--log-outreach", "Newsletter"))
    message = fails(run("imports", "undo", "1", "--yes"))
    assert f"3 interactions logged by {me} on {TODAY} (Newsletter)" in message
    ok(run("imports", "undo", "1", "--yes", "--with-later"))
    assert listed(run, "contact", "list") == []


FORM = ["Timestamp", "Email Address", "Your name", "Name of your organisation",
        "Do you wish to sign?"]  # fmt: skip


def form_csv(path: Path, rows: list[list[str]]) -> Path:
    """As Google Forms' "Download responses (.csv)" writes it."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(FORM)
        writer.writerows(rows)
    return path


def test_a_sign_on_moved_since_the_batch_goes_back_to_where_it_was_before_it(
    run: Any, tmp_path: Path
) -> None:
    ok(run("campaign", "add", "csam-2022"))
    ok(run("org", "add", "Alpha Enfance", "--country", "FR"))
    ok(run("signon", "set", "Alpha Enfance", "csam-2022", "invited"))
    form = form_csv(
        tmp_path / "replies.csv",
        [["2026/11/05 14:03:22 GMT+1", "lea@example.org", "Léa Martin", "Alpha Enfance", "Yes"]],
    )
    ok(run("import", str(form), "--campaign", "csam-2022"))  # invited -> signed
    ok(run("signon", "set", "Alpha Enfance", "csam-2022", "withdrawn", as_="bob"))
    message = fails(run("imports", "undo", "1", "--yes"))
    assert f"1 sign-on moved to withdrawn by bob on {TODAY} (Alpha Enfance)" in message
    ok(run("imports", "undo", "1", "--yes", "--with-later"))
    (signon,) = listed(run, "signon", "list", "csam-2022")
    assert signon["status"] == "invited"
    assert [h[2] for h in signon["history"]] == ["invited"]
    assert [c["display_name"] for c in listed(run, "contact", "list")] == []


def test_work_on_what_was_there_before_the_batch_must_be_undone_by_hand(
    me: str, run: Any, tmp_path: Path, db_path: Path | str
) -> None:
    ok(run("contact", "add", "--name", "Léa Martin", "--email", "lea@example.org"))
    ok(run("import", str(members_xlsx(tmp_path / "members.xlsx", MEMBERS)),
           "--on-duplicate", "update"))  # fmt: skip
    ok(run("export", "mailmerge", str(tmp_path / "news.csv"), "--log-outreach", "Newsletter"))
    ok(run("contact", "edit", "lea@example.org", "--role", "Chair", as_="bob"))
    before = database_state(db_path)
    message = fails(run("imports", "undo", "1", "--yes", "--with-later"))
    assert message == (
        "Error: Cannot undo import batch #1: later changes depend on it — "
        f"1 contact edited by bob on {TODAY} (Léa Martin); undo or redo those by hand first "
        f"(--with-later takes back the rest: 3 interactions logged by {me} on {TODAY} "
        "(Newsletter))."
    )
    assert database_state(db_path) == before


def test_a_later_import_that_builds_on_the_batch_is_undone_first(
    me: str, run: Any, tmp_path: Path
) -> None:
    ok(run("import", str(members_xlsx(tmp_path / "members.xlsx", MEMBERS))))
    more = members_xlsx(
        tmp_path / "more.xlsx", [["Alpha Enfance", "France", "Paul", "Petit", "paul@example.org"]]
    )
    ok(run("import", str(more)))
    # Undone, batch #1 would leave Paul Petit at an organisation that is no more.
    for asked in ((), ("--with-later",)):
        message = fails(run("imports", "undo", "1", "--yes", *asked))
        assert f"1 later import by {me} on {TODAY} (batch #2, more.xlsx)" in message
    ok(run("imports", "undo", "2", "--yes"))
    ok(run("imports", "undo", "1", "--yes"))
    assert listed(run, "contact", "list") == []


def test_with_later_is_all_or_nothing(
    run: Any, db: Any, unit: Any, invited: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise CoalitionError("The disk is full.")

    # The last step of the undo fails: what was taken back before it comes back.
    monkeypatch.setattr("coalition.domain.imports.undo.search.index_organisations", broken)
    with pytest.raises(CoalitionError, match="disk is full"), unit() as w:
        imports.undo_import(w, 1, with_later=True)
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == 4
        batch = session.get(ImportBatch, 1)
        assert batch is not None and batch.undone_at is None
    assert len(listed(run, "contact", "list")) == 3
