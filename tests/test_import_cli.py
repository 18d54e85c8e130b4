"""`coalition import` on real files: the samples, files real programs write, bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ok

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "imports"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contacts(run: Any) -> list[dict[str, Any]]:
    return json.loads(ok(run("contact", "list", "--format", "json")).stdout)


def test_sample_member_spreadsheet(run: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    result = ok(
        run(
            "import",
            str(SAMPLES / "coalition-members.xlsx"),
            "--report",
            str(report),
            "--tag",
            "members",
        )
    )
    assert "header found on row 3" in result.stderr
    people = {c["display_name"]: c for c in contacts(run)}
    assert len(people) == 11, "the organisation-only row makes no person"
    emilie = people["Émilie Müller"]
    assert emilie["organisation"] == "Minors Care Example"
    # The phone was typed into a number cell, which drops its "+": not 3.2e9, and
    # written out again as the international number it is.
    assert emilie["phones"][0]["number"] == "+32 2 555 01 01"
    assert emilie["phones"][0]["e164"] == "+3225550101"
    assert (
        people["Lena Schneider"]["organisation_id"] == people["Jürgen Fischer"]["organisation_id"]
    )
    orgs = json.loads(ok(run("org", "list", "--format", "json")).stdout)
    assert len(orgs) == 11, "Kinderschutz Beispiel e.V. and eV are one organisation"
    assert {o["country"] for o in orgs} >= {"BE", "DE", "ES", "PL", "GR"}
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert len(rows) == 12
    assert {r["action"] for r in rows} == {"create", "organisation"}


def test_sample_signon_form_sets_statuses(run: Any, tmp_path: Path) -> None:
    ok(run("campaign", "add", "csam-2022"))
    report = tmp_path / "form.csv"
    result = ok(
        run(
            "import",
            str(SAMPLES / "signon-form.csv"),
            "--campaign",
            "csam-2022",
            "--report",
            str(report),
        )
    )
    assert "1 invalid email kept (flagged)" in result.stderr
    signons = {
        s["organisation"]: s
        for s in json.loads(ok(run("signon", "list", "csam-2022", "--format", "json")).stdout)
    }
    assert signons["Enfance & Numérique"]["status"] == "signed"
    assert signons["Enfance & Numérique"]["display_name"] == "Enfance & Numérique (Paris)"
    assert signons["Fundacja Przykład"]["status"] == "signed"
    assert signons["Genitori Digitali"]["status"] == "considering"
    assert signons["Gyermekvédelmi Egyesület"]["status"] == "declined"
    sam = next(c for c in contacts(run) if c["display_name"] == "Sam Example")
    assert sam["emails"][0] == {
        "address": "not-an-address",
        "label": None,
        "primary": True,
        "valid": False,
        "invalid_reason": sam["emails"][0]["invalid_reason"],
    }
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert any("marked invalid" in r["warnings"] for r in rows)


def test_sample_address_book_merges_with_existing(run: Any) -> None:
    ok(run("import", str(SAMPLES / "coalition-members.xlsx")))
    result = ok(run("import", str(SAMPLES / "address-book.vcf"), "--on-duplicate", "merge"))
    assert "1 merged" in result.stderr
    daan = next(c for c in contacts(run) if c["display_name"] == "Daan de Vries")
    assert [e["address"] for e in daan["emails"]] == [
        "daan.devries@example.net",
        "daan@example.net",
    ]
    claire = next(c for c in contacts(run) if c["display_name"] == "Claire Bonneau")
    assert claire["honorific"] == "Mme" and claire["city"] == "Paris"
    assert claire["emails"][0]["label"] == "work"


def test_dry_run_changes_nothing_and_the_same_file_is_refused(run: Any, db_path: Path) -> None:
    before = sha(db_path)
    result = ok(run("import", str(SAMPLES / "signon-form.csv"), "--dry-run"))
    assert "Dry run: nothing was changed." in result.stderr
    assert sha(db_path) == before
    ok(run("import", str(SAMPLES / "signon-form.csv")))
    again = run("import", str(SAMPLES / "signon-form.csv"))
    assert again.exit_code == 1 and "already imported" in again.stderr
    ok(run("import", str(SAMPLES / "signon-form.csv"), "--force"))


def test_files_imported_together_go_in_all_or_none(run: Any) -> None:
    ok(run("import", str(SAMPLES / "signon-form.csv")))
    before = len(contacts(run))
    both = run("import", str(SAMPLES / "address-book.vcf"), str(SAMPLES / "signon-form.csv"))
    assert both.exit_code == 1
    assert "signon-form.csv was already imported (batch #1)" in both.stderr
    assert len(contacts(run)) == before, "the vCards were not imported either"
    assert len(json.loads(ok(run("imports", "list", "--format", "json")).stdout)) == 1


def test_undo_from_the_command_line(run: Any) -> None:
    ok(run("import", str(SAMPLES / "address-book.vcf")))
    batches = json.loads(ok(run("imports", "list", "--format", "json")).stdout)
    assert batches[0]["counts"]["create"] == 3
    ok(run("imports", "undo", str(batches[0]["id"]), "--yes"))
    assert contacts(run) == []
    assert json.loads(ok(run("imports", "list", "--format", "json")).stdout)[0]["undone_at"]


def test_show_mapping_round_trips_through_a_mapping_file(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "odd.csv"
    source.write_text("Wer,Kontakt,Verband\nAnna Nowak,anna@example.org,Alpha\n", encoding="utf-8")
    shown = ok(run("import", str(source), "--show-mapping")).stdout
    assert '"Kontakt" = "ignore"' in shown
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        shown.replace('"Wer" = "ignore"', '"Wer" = "full_name"')
        .replace('"Kontakt" = "ignore"', '"Kontakt" = "email"')
        .replace('"Verband" = "ignore"', '"Verband" = "organisation"'),
        encoding="utf-8",
    )
    ok(run("import", str(source), "--mapping", str(mapping)))
    (anna,) = contacts(run)
    assert (anna["display_name"], anna["emails"][0]["address"], anna["organisation"]) == (
        "Anna Nowak",
        "anna@example.org",
        "Alpha",
    )


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Email"])
    ws.append(["Anna Nowak", "anna@example.org"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (1200 * 1024 * 1024))


def _entity_bomb(path: Path) -> None:
    good = zipfile.ZipFile(io.BytesIO(_xlsx_bytes()))
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in good.infolist():
            data = bomb.encode() if item.filename == "xl/worksheets/sheet1.xml" else good.read(item)
            z.writestr(item.filename, data)


BAD_INPUT = {
    "empty.csv": lambda p: p.write_bytes(b""),
    "binary.csv": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "truncated.xlsx": lambda p: p.write_bytes(_xlsx_bytes()[:1500]),
    "empty.vcf": lambda p: p.write_bytes(b""),
    "bomb.xlsx": _zip_bomb,
    "entities.xlsx": _entity_bomb,
    "notes.pdf": lambda p: p.write_bytes(b"%PDF-1.4\n"),
    "missing.csv": lambda p: None,
    # A log saved as text: its first line, read as headers, is long and names nothing.
    "profile.txt": lambda p: p.write_text("run (prof.py:2), _load (<frozen importlib>:690), " * 60),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_is_one_sentence_exit_1_and_the_database_is_untouched(
    run: Any, db_path: Path, tmp_path: Path, name: str
) -> None:
    ok(run("org", "add", "Alpha"))
    path = tmp_path / name
    BAD_INPUT[name](path)
    before = sha(db_path)
    result = run("import", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(result.stderr) < 400, "one sentence a terminal can show"
    assert "Traceback" not in result.output
    assert sha(db_path) == before


def test_european_excel_csv(run: Any, tmp_path: Path) -> None:
    """Excel 2016 (German/French locale) "CSV (Trennzeichen-getrennt)": semicolons, cp1252."""
    path = tmp_path / "mitglieder.csv"
    text = (
        "Organisation;Vorname;Nachname;E-Mail;Telefon;Land;Funktion\r\n"
        "Kinderschutz Beispiel e.V.;Jürgen;Weiß;juergen.weiss@example.org;030 5550 1234;"
        "Deutschland;Geschäftsführer\r\n"
        "Réseau Enfance Protégée asbl;Noémie;Lefèvre;noemie@example.net;+32 4 555 01 23;"
        "Atlantis;Chargée de plaidoyer\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = ok(run("import", str(path)))
    assert "cp1252" in result.stderr or "windows-1252" in result.stderr
    people = {c["display_name"]: c for c in contacts(run)}
    assert people["Jürgen Weiß"]["role"] == "Geschäftsführer"
    assert people["Noémie Lefèvre"]["organisation"] == "Réseau Enfance Protégée asbl"
    assert people["Jürgen Weiß"]["phones"][0]["e164"] == "+493055501234"
    orgs = {o["name"]: o for o in json.loads(ok(run("org", "list", "--format", "json")).stdout)}
    assert orgs["Kinderschutz Beispiel e.V."]["country"] == "DE", "country names in German too"
    assert orgs["Réseau Enfance Protégée asbl"]["country"] is None
    assert "Atlantis" in (orgs["Réseau Enfance Protégée asbl"]["notes"] or "")


def test_outlook_csv_export(run: Any, tmp_path: Path) -> None:
    """Outlook 2016 File > Export > Comma Separated Values (UTF-8 with BOM, CRLF)."""
    path = tmp_path / "outlook.csv"
    header = (
        '"Title","First Name","Middle Name","Last Name","Suffix","Company","Department",'
        '"Job Title","Business Street","Business City","Business State","Business Postal Code",'
        '"Business Country/Region","Business Phone","Mobile Phone","E-mail Address",'
        '"E-mail Display Name","E-mail 2 Address","Notes","Categories","Web Page"'
    )
    row = (
        '"Ms","Giulia","","Rossi","","Associazione Bambini Sicuri","Advocacy",'
        '"Responsabile advocacy","Via Esempio 1","Roma","","00100","Italy","+39 06 555 0123",'
        '"+39 347 555 0123","giulia.rossi@example.org","Giulia Rossi (giulia.rossi@example.org)",'
        '"g.rossi@example.net","Met in Brussels","Partners;Italy",""'
    )
    path.write_bytes(("\ufeff" + header + "\r\n" + row + "\r\n").encode("utf-8"))
    ok(run("import", str(path)))
    (giulia,) = contacts(run)
    assert giulia["honorific"] == "Ms"
    assert giulia["organisation"] == "Associazione Bambini Sicuri"
    assert [e["address"] for e in giulia["emails"]] == [
        "giulia.rossi@example.org",
        "g.rossi@example.net",
    ]
    assert [(p["label"], p["e164"]) for p in giulia["phones"]] == [
        ("work", "+39065550123"),
        ("mobile", "+393475550123"),
    ]
    assert giulia["country"] == "IT" and giulia["city"] == "Roma"
    assert sorted(giulia["tags"]) == ["Italy", "Partners"]


def test_google_contacts_csv_export(run: Any, tmp_path: Path) -> None:
    """contacts.google.com > Export > Google CSV: "::: " joins several values in a cell."""
    path = tmp_path / "google.csv"
    path.write_text(
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,"
        "Phone 1 - Type,Phone 1 - Value,Organization 1 - Name,Organization 1 - Title\n"
        "Zofia Kowalska,Zofia,Kowalska,* myContacts ::: Coalition,* Work,"
        "zofia@example.org ::: z.kowalska@example.net,Mobile,+48 601 555 012,"
        "Fundacja Przykład,Koordynatorka\n",
        encoding="utf-8",
    )
    ok(run("import", str(path)))
    (zofia,) = contacts(run)
    assert [e["address"] for e in zofia["emails"]] == [
        "zofia@example.org",
        "z.kowalska@example.net",
    ]
    assert zofia["emails"][0]["label"] == "work"
    assert zofia["phones"][0]["e164"] == "+48601555012"
    assert zofia["organisation"] == "Fundacja Przykład" and zofia["role"] == "Koordynatorka"


def test_csv_without_a_header_row(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Anna Nowak,anna@example.org,Alpha Foundation\n"
        "Bert Example,bert@example.net,Beta Network\n",
        encoding="utf-8",
    )
    result = ok(run("import", str(path)))
    assert "no header row" in result.stderr
    people = {c["display_name"]: c for c in contacts(run)}
    assert people["Anna Nowak"]["emails"][0]["address"] == "anna@example.org"
    assert people["Bert Example"]["organisation"] == "Beta Network"
