"""The export dialog of the terminal app: mail merge, signatory list and vCards."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from coalition.tui.app import make_app
from coalition.tui.screens.export_dialog import ExportDialog, with_format
from tests.conftest import ok
from tests.tui_helpers import LARGE, SMALL, notes, screen_text

SAMPLES = Path(__file__).resolve().parent.parent / "imports"


@pytest.fixture
def filled(db_path: Path, tmp_path: Path, run: Callable[..., Any]) -> Path:
    """The members sample, a campaign, and two organisations that signed."""
    members = shutil.copy(SAMPLES / "coalition-members.xlsx", tmp_path / "members.xlsx")
    ok(run("import", str(members)))
    ok(run("campaign", "add", "csam-2022", "--name", "Joint statement", "--state", "open"))
    ok(run("signon", "set", "Fundacja Przykład", "csam-2022", "prospect"))
    ok(run("signon", "set", "Barnens Röst", "csam-2022", "signed"))
    ok(
        run(
            "signon", "set", "Minors Care Example", "csam-2022", "signed",
            "--display-name", "[bold]MCE[/] & <Friends>",
        )
    )  # fmt: skip
    return db_path


async def finish(pilot: Pilot[None]) -> None:
    """Wait for the dialog's jobs (campaigns read, file written) and their results."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in pilot.app.workers):
            return


def test_the_format_sets_the_files_suffix() -> None:
    assert with_format("invitations.csv", "mailmerge", "xlsx") == "invitations.xlsx"
    assert with_format("out/list.html", "signatories", "md") == "out/list.md"
    assert with_format("address-book.vcf", "vcard", "vdir") == "address-book"
    assert with_format("", "vcard", "vcf") == "address-book.vcf"
    assert with_format("my.list", "mailmerge", "csv") == "my.list.csv"


@pytest.mark.asyncio
async def test_a_mail_merge_with_filters_and_logged_outreach(
    filled: Path, tmp_path: Path, run: Callable[..., Any]
) -> None:
    app = make_app(str(filled), "alice")
    async with app.run_test(size=SMALL) as pilot:
        dialog = ExportDialog(folder=tmp_path)
        written: list[Path | None] = []
        await app.push_screen(dialog, written.append)
        await finish(pilot)
        assert "Written to " in screen_text(app) and "invitations.csv" in screen_text(app)
        dialog.query_one("#export-campaign", Select).value = "csam-2022"
        dialog.query_one("#export-statuses", Input).value = "prospect, signed"
        dialog.query_one("#export-one-per-org", Checkbox).value = True
        dialog.query_one("#export-log", Input).value = "Invitation to sign"
        dialog.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await finish(pilot)
        assert not isinstance(app.screen, ExportDialog)
    target = tmp_path / "invitations.csv"
    assert written == [target]
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["Organisation"], r["CampaignStatus"]) for r in rows) == [
        ("Barnens Röst", "signed"),
        ("Fundacja Przykład", "invited"),  # as the log left it (issue 15)
        ("Minors Care Example", "signed"),
    ]
    [message] = [m for m in notes(app) if m.startswith("Wrote")]
    assert message.startswith(f"Wrote 3 recipients to {target}.")
    assert "Logged 'Invitation to sign' for 3 recipients; 1 organisation moved to invited." in (
        message
    )
    invited = ok(run("signon", "list", "csam-2022", "--status", "invited", "--format", "csv"))
    assert "Fundacja Przykład" in invited.output


@pytest.mark.asyncio
async def test_the_signatory_list_as_html(filled: Path, tmp_path: Path) -> None:
    app = make_app(str(filled), "alice")
    async with app.run_test(size=LARGE) as pilot:
        dialog = ExportDialog(folder=tmp_path)
        await app.push_screen(dialog)
        await finish(pilot)
        dialog.query_one("#export-kind", Select).value = "signatories"
        await pilot.pause()
        assert dialog.query_one("#export-campaign", Select).value == "csam-2022"  # the only one
        assert dialog.query_one("#export-path", Input).value == "signatories.html"
        assert not dialog.query_one("#export-tag", Input).parent.display  # type: ignore[union-attr]
        dialog.query_one("#export-group-by", Select).value = "country"
        await pilot.press("ctrl+s")
        await finish(pilot)
    target = tmp_path / "signatories.html"
    page = target.read_text(encoding="utf-8")
    assert "[bold]MCE[/] &amp; &lt;Friends&gt;" in page and "Barnens Röst" in page
    assert "Belgium" in page and "Sweden" in page
    assert f"Wrote 2 signatories of csam-2022 to {target}." in notes(app)


@pytest.mark.asyncio
async def test_mistakes_are_sentences_and_the_dialog_stays(filled: Path, tmp_path: Path) -> None:
    app = make_app(str(filled), "alice")
    async with app.run_test(size=SMALL) as pilot:
        dialog = ExportDialog("vcard", folder=tmp_path)
        await app.push_screen(dialog)
        await finish(pilot)
        path = dialog.query_one("#export-path", Input)
        path.value = "no-such-folder/cards.vcf"
        await pilot.press("ctrl+s")
        await finish(pilot)
        dialog.query_one("#export-statuses", Input).value = "signed"
        path.value = "cards.vcf"
        await pilot.press("ctrl+s")
        await finish(pilot)
        assert app.screen is dialog
        messages = notes(app)
        # Fixed, it writes: a vdir of vCard 4.0 cards of the Belgian contacts.
        dialog.query_one("#export-statuses", Input).value = ""
        dialog.query_one("#export-country", Input).value = "BE"
        dialog.query_one("#export-format", Select).value = "vdir"
        dialog.query_one("#export-vcard-version", Select).value = "4.0"
        await pilot.pause()
        assert path.value == "cards"
        await pilot.press("ctrl+s")
        await finish(pilot)
        assert app.screen is not dialog
    assert f"The folder {tmp_path / 'no-such-folder'} does not exist" in messages[0]
    assert messages[1] == "A sign-on status is a campaign's: choose the campaign too."
    assert not any("bug" in m for m in notes(app))
    cards = sorted((tmp_path / "cards").glob("*.vcf"))
    assert len(cards) == 2
    assert all("VERSION:4.0" in c.read_text(encoding="utf-8") for c in cards)
    assert f"Wrote 2 vCards (4.0) to {tmp_path / 'cards'}." in notes(app)
