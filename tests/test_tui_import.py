"""The import wizard and the import batches dialog of the terminal app."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree, Input, Select

from coalition.domain import imports
from coalition.interchange import importer
from coalition.store.database import open_database
from coalition.tui.app import make_app
from coalition.tui.screens.import_batches import ImportBatchesScreen
from coalition.tui.screens.import_picker import IMPORTABLE, FieldPicker, start_folder
from coalition.tui.screens.import_preview import preview
from coalition.tui.screens.import_wizard import ImportWizard
from coalition.tui.screens.start import StartScreen
from tests.conftest import ok
from tests.tui_helpers import LARGE, SMALL, notes, screen_text

SAMPLES = Path(__file__).resolve().parent.parent / "imports"


def sample(name: str, folder: Path) -> Path:
    return Path(shutil.copy(SAMPLES / name, folder / name))


async def until(pilot: Pilot[None], condition: Callable[[], Any], what: str) -> None:
    """Wait (on workers and messages, never on a clock) until ``condition()`` holds.

    A file browser's loader worker runs as long as the browser is shown; it is not waited on.
    """
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        if condition():
            return
        running = [
            w for w in app.workers if not w.is_finished and not isinstance(w.node, DirectoryTree)
        ]
        if running:
            await app.workers.wait_for_complete(running)
    raise AssertionError(f"waited in vain for {what}; screen:\n{screen_text(pilot.app)}")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder for the file browser, holding signon-form.csv."""
    folder = tmp_path / "files"
    folder.mkdir()
    sample("signon-form.csv", folder)
    return folder


async def browsing(pilot: Pilot[None], folder: Path) -> ImportWizard:
    """The import wizard, its file browser showing ``folder`` (which holds signon-form.csv)."""
    wizard = ImportWizard(folder=folder)
    await pilot.app.push_screen(wizard)
    await until(pilot, lambda: "signon-form.csv" in screen_text(pilot.app), "the browser")
    return wizard


def flat(app: Any) -> str:
    """The screen's words with line breaks and padding as single spaces (text wraps at 80)."""
    return " ".join(screen_text(app).split())


def contacts_in(db_path: Path) -> list[tuple[str, str | None]]:
    from coalition.domain import browse

    db = open_database(db_path)
    try:
        with db.read_session() as session:
            return sorted((c.display_name, c.notes) for c in browse.list_contacts(session))
    finally:
        db.close()


def test_the_browser_lists_what_the_importer_reads_and_starts_in_imports(tmp_path: Path) -> None:
    assert set(IMPORTABLE) == set(importer.SPREADSHEETS) | set(importer.VCARDS)
    assert start_folder(tmp_path) == tmp_path
    (tmp_path / "imports").mkdir()
    assert start_folder(tmp_path) == tmp_path / "imports"


def test_chosen_columns_override_the_detected_mapping(tmp_path: Path) -> None:
    path = sample("coalition-members.xlsx", tmp_path)
    source = importer.open_source(path, overrides={8: None, 9: "notes"})
    assert source.mapping is not None
    assert source.mapping.headers[9] == "Member since"
    assert (source.mapping.targets[8], source.mapping.targets[9]) == (None, "notes")
    assert source.mapping.source[9] == "chosen"
    first = next(iter(source.records))
    assert first.notes and first.organisation
    assert first.organisation.membership is None


def test_the_preview_puts_rows_needing_attention_first_and_is_capped(
    tmp_path: Path, session: Any
) -> None:
    rows = ["Name,Email,Organisation"]
    rows += [f"Person {i},p{i}@example.org,Org {i}" for i in range(30)]
    rows += ["Again,p3@example.org,Org 3", "Unknown,not-an-email,Org 5"]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    source = importer.open_source(path)
    plan = imports.plan_import(session, source.records, importer.options_for(source))
    shown = preview(plan, [("row 99", "could not be read")], limit=5)
    assert shown.total == 33 and shown.needing_attention == 3
    assert [r.attention for r in shown.rows] == ["error", "duplicate", "warning", "", ""]
    assert shown.rows[0].note == "could not be read"
    assert "same email as row 5" in shown.rows[1].note
    assert "not-an-email" in shown.rows[2].note


@pytest.mark.asyncio
async def test_the_wizard_imports_a_sample_file_with_a_changed_column(
    db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    sample("coalition-members.xlsx", folder)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = ImportWizard(folder=folder)
        await app.push_screen(wizard)
        await until(pilot, lambda: "coalition-members.xlsx" in screen_text(app), "the browser")
        await pilot.press("down", "enter")  # the file under the folder
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        assert "Member since" in screen_text(app)
        columns = wizard.query_one("#wizard-columns", DataTable)
        columns.move_cursor(row=9)  # "Member since", not recognised
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FieldPicker), "the field picker")
        await pilot.press(*"notes")
        await pilot.press("enter")  # the first match: the person's notes
        await until(pilot, lambda: wizard.step == "map" and wizard.overrides, "the new mapping")
        assert wizard.source is not None and wizard.source.mapping is not None
        assert wizard.source.mapping.targets[9] == "notes"
        assert columns.cursor_row == 9
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == "plan", "the plan")
        text = flat(app)
        assert "12 records — 11 new contacts, 1 organisation-only row," in text
        assert "Nothing has changed yet" in text
        assert contacts_in(db_path) == []
        await pilot.press("i")
        await until(pilot, lambda: wizard.step == "done", "the batch")
        assert wizard.imported is not None and wizard.imported.id == 1
        assert "Imported coalition-members.xlsx as batch #1." in flat(app)
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)
    people = contacts_in(db_path)
    assert len(people) == 11
    assert all(note for _, note in people)  # "Member since" went to the notes


@pytest.mark.asyncio
async def test_escape_abandons_planning_and_leaves_the_database_unchanged(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sample("signon-form.csv", tmp_path)
    before = db_path.read_bytes()
    release = threading.Event()
    real_rehearse = imports.rehearse

    def slow_rehearse(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        release.wait(10)
        progress("checking", 0, 1)  # the wizard's callback: raises once abandoned
        return real_rehearse(*args, progress=progress, **kwargs)

    monkeypatch.setattr(imports, "rehearse", slow_rehearse)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=LARGE) as pilot:
        wizard = ImportWizard(path, folder=tmp_path)
        await app.push_screen(wizard)
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert wizard.step == "work" and "Esc abandons this" in screen_text(app)
        await pilot.press("escape")
        assert wizard.step == "map" and wizard.plan is None
        assert "Abandoned; nothing was changed." in notes(app)
        release.set()
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == "plan", "the plan")
        assert "7 new contacts" in flat(app)
        await pilot.press("escape")  # leave without importing
        assert not isinstance(app.screen, ImportWizard)
    assert db_path.read_bytes() == before


@pytest.mark.asyncio
async def test_a_file_that_cannot_be_imported_is_a_sentence(db_path: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "letter.pdf").write_text("not a table\n", encoding="utf-8")
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = ImportWizard(folder=tmp_path)
        await app.push_screen(wizard)
        await until(pilot, lambda: "empty.csv" in screen_text(app), "the browser")
        assert "letter.pdf" not in screen_text(app)  # the browser lists importable files only
        path_input = wizard.query_one("#wizard-path", Input)
        for name in ("empty.csv", "letter.pdf", "missing.csv"):
            path_input.value = str(tmp_path / name)
            path_input.focus()
            await pilot.press("enter")
            await until(pilot, lambda: wizard.step == "choose" and notes(app), name)
        messages = notes(app)
        assert app.is_running
    assert messages.count("empty.csv is empty; there is nothing to import.") == 1  # said once
    assert any("letter.pdf: coalition imports .csv, .xlsx" in m for m in messages)
    assert any(m.endswith("missing.csv does not exist.") for m in messages)
    assert not any("Traceback" in m or "bug" in m for m in messages)


@pytest.mark.asyncio
async def test_undoing_batches_and_a_refused_undo(
    db_path: Path, tmp_path: Path, run: Callable[..., Any]
) -> None:
    ok(run("import", str(sample("coalition-members.xlsx", tmp_path))))  # batch 1
    ok(run("import", str(sample("signon-form.csv", tmp_path))))  # batch 2
    ok(run("contact", "edit", "lena.schneider@example.net", "--role", "Chair"))  # from batch 1
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        screen = ImportBatchesScreen()
        await app.push_screen(screen)
        await until(pilot, lambda: len(screen.batches) == 2, "the batches")
        await until(pilot, lambda: "coalition-members.xlsx" in screen_text(app), "the rows")
        # What each did, in words.
        assert re.search(r"signon-form\.csv +6 new contacts", screen_text(app))
        # The highlighted one in full under the table, as its row is cut short at 80 columns.
        await until(
            pilot, lambda: "#2 signon-form.csv: 6 new contacts" in screen_text(app), "the detail"
        )
        assert screen.highlighted is not None and screen.highlighted.id == 2  # newest first
        await pilot.press("u")
        await pilot.press("n")  # thought better of it
        await pilot.pause()
        assert screen.batches[0].undone_at is None
        await pilot.press("u", "y")
        await until(pilot, lambda: screen.batches[0].undone_at is not None, "the undo")
        assert "Undid import batch #2 (signon-form.csv)." in notes(app)
        # The table is redrawn after the list is read: wait for the mark, not the first frame.
        await until(pilot, lambda: "undone" in screen_text(app), "the undone mark")
        await pilot.press("down", "u", "y")
        await until(pilot, lambda: any("Cannot undo" in m for m in notes(app)), "the refusal")
        refusal = next(m for m in notes(app) if "Cannot undo" in m)
        assert screen.batches[1].undone_at is None
    assert refusal.startswith("Cannot undo import batch #1: later changes depend on")
    assert "Lena Schneider" in refusal
    assert len(contacts_in(db_path)) == 11


def two_sheet_workbook(folder: Path) -> Path:
    """An XLSX file of two sheets with different columns (fictional people)."""
    from openpyxl import Workbook

    book = Workbook()
    members = book.active
    assert members is not None
    members.title = "Members"
    members.append(["Name", "Email", "Organisation"])
    members.append(["Anna Müller", "anna.mueller@example.org", "Verein Alpha"])
    members.append(["Jan Nowak", "jan.nowak@example.net", "Fundacja Gamma"])
    partners = book.create_sheet("Partners")
    partners.append(["Organisation", "Contact person", "E-mail", "Country"])
    partners.append(["Stichting Delta", "Ines Dubois", "ines.dubois@example.org", "NL"])
    path = folder / "contacts.xlsx"
    book.save(path)
    return path


@pytest.mark.asyncio
async def test_the_wizard_reads_another_sheet_of_a_workbook(db_path: Path, tmp_path: Path) -> None:
    path = two_sheet_workbook(tmp_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = ImportWizard(path)
        await app.push_screen(wizard)
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        sheet = wizard.query_one("#wizard-sheet", Select)
        text = flat(app)
        assert sheet.display and "Sheet Members" in text  # the first sheet, by default
        assert "s reads another of its 2 sheets" in text
        assert "Contact person" not in text
        # A column chosen on the first sheet does not carry over to the second.
        wizard.query_one("#wizard-columns", DataTable).move_cursor(row=2)
        await pilot.press("c", *"notes", "enter")
        await until(pilot, lambda: wizard.step == "map" and wizard.overrides, "the new column")
        await pilot.press("s")
        await until(pilot, lambda: sheet.expanded, "the sheet list")
        assert "Partners" in screen_text(app)
        await pilot.press("down", "enter")
        await until(
            pilot,
            lambda: wizard.step == "map" and wizard.source is not None
            and wizard.source.sheet == "Partners",
            "the second sheet",
        )  # fmt: skip
        assert wizard.overrides == {}
        assert wizard.source is not None and wizard.source.mapping is not None
        assert wizard.source.mapping.targets == ["organisation", "full_name", "email", "country"]
        text = flat(app)
        assert "Sheet Partners" in text and "Contact person" in text
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == "plan", "the plan")
        assert "1 record — 1 new contact" in flat(app)
        await pilot.press("i")
        await until(pilot, lambda: wizard.step == "done", "the batch")
    assert contacts_in(db_path) == [("Ines Dubois", None)]


@pytest.mark.asyncio
async def test_a_csv_file_offers_no_sheet(db_path: Path, tmp_path: Path) -> None:
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = ImportWizard(sample("signon-form.csv", tmp_path))
        await app.push_screen(wizard)
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        assert not wizard.query_one("#wizard-sheet-row").display
        assert not wizard.check_action("choose_sheet", ())
        assert "Sheet" not in flat(app)


@pytest.mark.asyncio
async def test_the_app_settles_while_the_file_browser_is_shown(db_path: Path, files: Path) -> None:
    import asyncio

    path = files / "signon-form.csv"
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = await browsing(pilot, files)
        assert any(not w.is_finished for w in app.workers)  # the browser's loader, waiting
        assert not app.busy
        await asyncio.wait_for(app.settle(), timeout=30)  # it does not wait on the loader
        wizard.open_file(path)
        assert app.busy  # the wizard's own job is waited on
        await asyncio.wait_for(app.settle(), timeout=30)
        assert wizard.step == "map" and "signon-form.csv" in flat(app)
        await pilot.press("ctrl+b")  # back to the browser, which was kept
        assert wizard.step == "choose" and "signon-form.csv" in screen_text(app)


@pytest.mark.asyncio
async def test_typing_in_the_file_list_types_the_path(db_path: Path, files: Path) -> None:
    path = files / "signon-form.csv"
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = await browsing(pilot, files)
        tree = wizard.query_one("#wizard-tree", DirectoryTree)
        box = wizard.query_one("#wizard-path", Input)
        assert wizard.focused is tree
        # "or type its path": the first character takes the focus to the path box.
        await pilot.press(*str(path))
        assert wizard.focused is box and box.value == str(path)
        await pilot.press("enter")
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        # Chosen in the list, the path is the list's: typing there starts another.
        await pilot.press("ctrl+b")
        assert wizard.step == "choose"
        tree.focus()
        await pilot.press("down", "enter")
        await until(pilot, lambda: wizard.step == "map", "the mapping again")
        await pilot.press("ctrl+b")
        tree.focus()
        await pilot.press("~")
        assert wizard.focused is box and box.value == "~"
        # Space still opens and closes folders in the list, and ? is still help.
        tree.focus()
        await pilot.press("space")
        assert wizard.focused is tree and box.value == "~"
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


@pytest.mark.asyncio
async def test_a_mail_tools_status_file_is_not_read_as_people(
    db_path: Path, tmp_path: Path, run: Callable[..., Any]
) -> None:
    """A YAMM sheet in the app: it says what the file is and where it is read, and adds or
    changes nobody."""
    ok(run("import", str(sample("coalition-members.xlsx", tmp_path))))
    before = ok(run("contact", "list", "--format", "json")).stdout
    status = sample("yamm-merge-status.csv", tmp_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        wizard = ImportWizard(folder=tmp_path)
        await app.push_screen(wizard)
        await until(pilot, lambda: "yamm-merge-status.csv" in screen_text(app), "the browser")
        path_input = wizard.query_one("#wizard-path", Input)
        path_input.value = str(status)
        path_input.focus()
        await pilot.press("enter")
        await until(pilot, lambda: wizard.step == "choose" and notes(app), "the refusal")
        messages = notes(app)
    assert any(
        m.startswith("yamm-merge-status.csv is a YAMM merge status sheet: what became of a mail")
        and m.endswith(f"coalition import {status}")
        for m in messages
    ), messages
    assert ok(run("contact", "list", "--format", "json")).stdout == before
