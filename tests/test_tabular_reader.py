"""Reading rows from CSV, XLSX and ODS files (coalition.interchange.tabular).

Small files that imitate real programs live in tests/fixtures/tables; large
and hostile ones are made here, in tmp_path. Every person, address and
phone number is invented (example.org / example.net, 555 numbers).
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from coalition.errors import FileProblem
from coalition.interchange import tabular
from coalition.interchange.tabular import Table, list_sheets, open_table

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
SHEET = "xl/worksheets/sheet1.xml"
ROOT = Path(__file__).resolve().parent.parent


def rows(table: Table) -> list[tuple[int, list[str]]]:
    return [(r.number, r.values) for r in table.rows()]


# ---------------------------------------------------------------------------
# Builders for spreadsheets made by hand (hostile ones cannot come from openpyxl)

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def sheet_xml(sheet_data: str, prolog: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + '<dimension ref="A1"/><sheetData>'
        + sheet_data
        + "</sheetData></worksheet>"
    )


def handmade_xlsx(path: Path, sheet_data: str, parts: dict[str, str | bytes] | None = None) -> Path:
    """An .xlsx with one sheet "Members"; ``parts`` replace or add zip entries."""
    entries: dict[str, str | bytes] = {
        "[Content_Types].xml": _CT,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet_xml(sheet_data),
    }
    entries.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def handmade_ods(
    path: Path,
    tables: list[tuple[str, str]],
    *,
    mimetype: str = ODS_MIMETYPE,
    encrypted: bool = False,
) -> Path:
    """A minimal .ods as LibreOffice lays it out: mimetype first and stored, then XML."""
    body = "".join(
        f'<table:table table:name="{name}">{rows}</table:table>' for name, rows in tables
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-content {_ODS_NS} office:version="1.3">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        + ('<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>' if encrypted else "")
        + "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def ods_text(text: str) -> str:
    return (
        '<table:table-cell office:value-type="string" calcext:value-type="string">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def ods_cell(attributes: str, shown: str) -> str:
    return f"<table:table-cell {attributes}><text:p>{shown}</text:p></table:table-cell>"


def ods_row(*cells: str, repeat: int = 1) -> str:
    attr = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{attr}>{''.join(cells)}</table:table-row>"


# ---------------------------------------------------------------------------
# CSV as programs write it


def test_european_excel_csv_is_cp1252_with_semicolons() -> None:
    # Excel, German locale, "CSV (Trennzeichen-getrennt)": cp1252, ";", CRLF
    table = open_table(FIXTURES / "excel_de_semicolon_cp1252.csv")
    assert (table.format, table.encoding, table.delimiter) == ("csv", "cp1252", ";")
    assert table.headers == ["Vorname", "Nachname", "E-Mail", "Organisation", "Beitrag", "Notiz"]
    assert table.header_row == 1
    assert table.sheet is None
    assert rows(table) == [
        (
            2,
            [
                "Jürgen",
                "Müller",
                "juergen.mueller@example.org",
                "Grüne Zukunft e.V.",
                "12,50 €",
                "",
            ],
        ),
        (
            3,
            [
                "Émilie",
                "Dubois",
                "emilie.dubois@example.net",
                "Société Verte",
                "8 €",
                "Treffen; Brüssel",
            ],
        ),
        (4, ["Søren", "Østergaard", "soren@example.org", "Fællesskab", "0,00 €", ""]),
    ]


def test_excel_unicode_text_is_utf16le_with_tabs() -> None:
    # Excel "Unicode Text (*.txt)": UTF-16 LE with BOM, tab-delimited
    table = open_table(FIXTURES / "excel_unicode_text_utf16le.txt")
    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert table.headers == ["Name", "Email", "Phone", "City"]
    assert rows(table)[1] == (
        3,
        ["Ελένη Παπαδοπούλου", "elena@example.net", "+30 21 0555 0102", "Αθήνα"],
    )


def test_excel_csv_utf8_has_a_bom_that_is_not_part_of_the_first_header() -> None:
    # Excel "CSV UTF-8 (Comma delimited)"
    table = open_table(FIXTURES / "excel_csv_utf8_bom.csv")
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert table.headers is not None and table.headers[0] == "First name"
    assert rows(table)[0] == (
        2,
        ["Noémie", "Lefèvre", "noemie.lefevre@example.org", "Climat, Justice & Co"],
    )


def test_japanese_excel_csv_in_shift_jis() -> None:
    # Excel on Japanese Windows, "CSV (コンマ区切り)": Shift_JIS (cp932)
    table = open_table(FIXTURES / "excel_ja_shift_jis.csv")
    assert table.encoding in ("cp932", "shift_jis")
    assert table.headers == ["氏名", "フリガナ", "メール", "電話", "団体"]
    assert rows(table)[0][1][:3] == ["山田太郎", "ヤマダタロウ", "taro.yamada@example.org"]


def test_a_first_row_holding_an_email_is_data_not_a_header() -> None:
    table = open_table(FIXTURES / "list_without_header.csv")
    assert table.headers is None
    assert table.header_row == 0
    assert rows(table)[0] == (1, ["Ann Example", "ann@example.org", "Green Coalition"])
    assert len(rows(table)) == 3


def test_quoted_fields_with_line_breaks_delimiters_and_quotes() -> None:
    # LibreOffice Calc "Text CSV": a blank line, doubled quotes, a short row
    table = open_table(FIXTURES / "libreoffice_quoted_newlines.csv")
    assert table.delimiter == ","
    assert rows(table) == [
        (
            2,
            [
                "Ann Example",
                "ann@example.org",
                "12 Rue de la Loi\n1040 Bruxelles",
                "Met at COP; follow up, please",
            ],
        ),
        (
            4,
            [
                'Bob "Bobby" Sample',
                "bob@example.net",
                "Main Street 1, Springfield",
                "Line one\nLine two\nLine three",
            ],
        ),
        (5, ["Chloé Test", "chloe@example.org", "", ""]),  # ragged row padded
    ]


def test_google_contacts_export() -> None:
    # Google Contacts, "Google CSV" export
    table = open_table(FIXTURES / "google_contacts.csv")
    assert table.headers is not None
    assert table.headers[:4] == ["Name", "Given Name", "Additional Name", "Family Name"]
    email = table.headers.index("E-mail 1 - Value")
    first, second = list(table.rows())
    assert first.values[email] == "lena@example.org"
    assert second.values[email] == "mateo@example.net"
    assert len(first.values) == len(table.headers)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised_by_its_nul_bytes(tmp_path: Path, codec: str) -> None:
    text = "Name,Email\r\nRené Köln,rene@example.org\r\nAnn Example,ann@example.net\r\n"
    path = tmp_path / "thunderbird.csv"
    path.write_bytes(text.encode(codec))
    table = open_table(path)
    assert table.encoding == codec
    assert rows(table)[0] == (2, ["René Köln", "rene@example.org"])


def test_utf16_be_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xfe\xff" + "Name;City\nZoë;Gent\n".encode("utf-16-be"))
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16-be", ";")
    assert rows(table) == [(2, ["Zoë", "Gent"])]


def test_pipe_delimiter_with_commas_and_semicolons_in_fields(tmp_path: Path) -> None:
    path = tmp_path / "pipes.txt"
    path.write_text(
        "Name|Email|Organisation\nAnn|ann@example.org|Air, Water and Soil\n"
        "Bob|bob@example.net|Parks; Rivers\nChloé|chloe@example.org|Trees, Inc.\n",
        encoding="utf-8",
    )
    table = open_table(path)
    assert table.delimiter == "|"
    assert [r.values[2] for r in table.rows()] == [
        "Air, Water and Soil",
        "Parks; Rivers",
        "Trees, Inc.",
    ]


def test_commas_inside_quotes_do_not_beat_the_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text(
        'Name;Address;Amount\n"Example, Ann";"Rue 1, 1000 Bruxelles";12,5\n'
        '"Sample, Bob";"Weg 2, 3000 Leuven";1,25\n',
        encoding="utf-8",
    )
    table = open_table(path)
    assert table.delimiter == ";"
    assert rows(table)[0] == (2, ["Example, Ann", "Rue 1, 1000 Bruxelles", "12,5"])


def test_cp1252_after_a_long_ascii_start_is_still_found(tmp_path: Path) -> None:
    path = tmp_path / "late_accent.csv"
    path.write_bytes(
        ("Name;City\r\n" + "Ann;Gent\r\n" * 12_000 + "René;Liège\r\n").encode("cp1252")
    )
    table = open_table(path)
    assert table.encoding == "cp1252"
    last = list(table.rows())[-1]
    assert last.number == 12_002 and last.values == ["René", "Liège"]


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Имя;Фамилия;Город\nИван;Петров;Москва\nОльга;Смирнова;Казань\n", "cp1251"),
        ("Imię;Nazwisko\nMałgorzata;Wójcik\nŁukasz;Żak\n", "cp1250"),
        ("Name;Ort\nRené;Köln\n", "cp1252"),
        ("Nom,Ville\nFrançois,Besançon\nAnaïs,Orléans\n", "cp1252"),
    ],
)
def test_legacy_code_pages(tmp_path: Path, text: str, codec: str) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(text.encode(codec))
    table = open_table(path)
    assert table.encoding == codec
    assert [table.headers, *(r.values for r in table.rows())] == [
        line.split(table.delimiter or ",") for line in text.splitlines()
    ]


def test_excel_sep_line_sets_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=,\nName,Notes\nAnn,a;b;c\n", encoding="utf-8")
    table = open_table(path)
    assert table.delimiter == ","
    assert table.headers == ["Name", "Notes"]
    assert [r.values for r in table.rows()] == [["Ann", "a;b;c"]]


def test_title_line_above_the_header_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text(
        "Coalition members 2026\n\nName,Email,Phone\nAnn,ann@example.org,+32 2 555 01 01\n",
        encoding="utf-8",
    )
    table = open_table(path)
    assert (table.headers, table.header_row) == (["Name", "Email", "Phone"], 3)
    assert rows(table) == [(4, ["Ann", "ann@example.org", "+32 2 555 01 01"])]


def test_rows_stream_and_can_be_read_again(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Name,Email,Phone,City,Notes\r\n")
        for i in range(30_000):
            handle.write(
                f'Émilie {i},emilie.{i}@example.org,+32 2 555 {i % 100:02d},Liège,"a, b"\r\n'
            )
    table = open_table(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in table.rows())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 2_000_000, f"rows() held {peak:,} bytes: it should stream"
    assert sum(1 for _ in table.rows()) == 30_000


def test_unclosed_quote_is_reported_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('Name,Notes\nAnn,"never closed\n' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(FileProblem, match=r"broken\.csv: row 2 .*quote"):
        list(open_table(path).rows())


# ---------------------------------------------------------------------------
# Spreadsheets


def members_workbook(path: Path) -> Path:
    """As Excel users lay a list out: a title, a blank row, headers, phones typed as numbers."""
    import openpyxl

    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "Lookup"
    hidden.sheet_state = "hidden"
    hidden["A1"] = "Country codes"
    sheet = book.create_sheet("Members 2026")
    sheet["A1"] = "Coalition members 2026"
    sheet.append([])
    sheet.append(["Name", "Email", "Phone", "Joined", "Last call", "Fee", "Active", "Notes"])
    sheet.append(
        [
            "Ann Example",
            "ann@example.org",
            3225550101,
            dt.date(2026, 3, 1),
            dt.datetime(2026, 3, 1, 14, 30),
            12.5,
            True,
            None,
        ]
    )
    sheet.append([])
    sheet.append(
        [
            "Bob Sample",
            "bob@example.net",
            3225550102.0,
            dt.date(2025, 12, 31),
            dt.datetime(2026, 1, 2, 9, 5, 7),
            0.1 + 0.2,
            False,
            "  Met in Gent  ",
        ]
    )
    sheet.append(
        [
            "Chloé Test",
            "chloe@example.org",
            "+32 2 555 01 03",
            None,
            None,
            1e-5,
            None,
            "Line one\nLine two",
        ]
    )
    book.create_sheet("Notes")["A1"] = "free text"
    book.save(path)
    return path


def test_xlsx_with_a_title_row_numeric_phones_and_dates(tmp_path: Path) -> None:
    table = open_table(members_workbook(tmp_path / "members.xlsx"))
    assert (table.format, table.sheet, table.encoding, table.delimiter) == (
        "xlsx",
        "Members 2026",
        None,
        None,
    )
    assert table.sheets == ["Lookup", "Members 2026", "Notes"]
    assert table.header_row == 3
    assert table.headers == [
        "Name",
        "Email",
        "Phone",
        "Joined",
        "Last call",
        "Fee",
        "Active",
        "Notes",
    ]
    assert rows(table) == [
        (
            4,
            [
                "Ann Example",
                "ann@example.org",
                "3225550101",
                "2026-03-01",
                "2026-03-01 14:30",
                "12.5",
                "TRUE",
                "",
            ],
        ),
        (
            6,
            [
                "Bob Sample",
                "bob@example.net",
                "3225550102",
                "2025-12-31",
                "2026-01-02 09:05:07",
                "0.3",
                "FALSE",
                "Met in Gent",
            ],
        ),
        (
            7,
            [
                "Chloé Test",
                "chloe@example.org",
                "+32 2 555 01 03",
                "",
                "",
                "0.00001",
                "",
                "Line one\nLine two",
            ],
        ),
    ]
    assert rows(table) == rows(table)  # can be read again


def test_sheet_by_name_and_list_sheets(tmp_path: Path) -> None:
    path = members_workbook(tmp_path / "members.xlsx")
    assert list_sheets(path) == ["Lookup", "Members 2026", "Notes"]
    table = open_table(path, sheet="notes")  # a unique case-insensitive match is accepted
    assert table.sheet == "Notes"
    assert (table.headers, rows(table)) == (["free text"], [])
    assert list_sheets(FIXTURES / "google_contacts.csv") == []


def test_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = members_workbook(tmp_path / "members.xlsx")
    with pytest.raises(FileProblem) as caught:
        open_table(path, sheet="Contacts")
    assert str(caught.value) == (
        "members.xlsx has no sheet named 'Contacts'; "
        "its sheets are 'Lookup', 'Members 2026', 'Notes'."
    )


def test_empty_sheet_points_to_the_others(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Blank"
    book.create_sheet("Data")["A1"] = "Name"
    book.save(tmp_path / "blank.xlsx")
    with pytest.raises(
        FileProblem, match=r"sheet 'Blank' is empty; choose another sheet \('Data'\)"
    ):
        open_table(tmp_path / "blank.xlsx")


def test_xlsx_without_header_row(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in (
        ["Ann Example", "ann@example.org", 3225550101],
        ["Bob Sample", "bob@example.net", None],
    ):
        book.active.append(row)
    book.save(tmp_path / "plain.xlsx")
    table = open_table(tmp_path / "plain.xlsx")
    assert (table.headers, table.header_row) == (None, 0)
    assert rows(table) == [
        (1, ["Ann Example", "ann@example.org", "3225550101"]),
        (2, ["Bob Sample", "bob@example.net"]),
    ]


def test_wide_sheet_is_measured_exactly_and_read(tmp_path: Path) -> None:
    # beyond 160 columns the quick bound is too loose and the sheet is walked tag by tag
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append([f"Field {i}" for i in range(1, 301)])
    book.active.append([f"value {i}" for i in range(1, 301)])
    book.save(tmp_path / "wide.xlsx")
    table = open_table(tmp_path / "wide.xlsx")
    assert table.headers is not None and len(table.headers) == 300
    assert rows(table)[0][1][-1] == "value 300"


def test_ods_written_like_libreoffice(tmp_path: Path) -> None:
    date = ods_cell('office:value-type="date" office:date-value="2026-03-01"', "01/03/26")
    stamp = ods_cell('office:value-type="date" office:date-value="2026-03-01T14:30:00"', "x")
    phone = ods_cell('office:value-type="float" office:value="3225550101"', "3225550101")
    fee = ods_cell('office:value-type="currency" office:currency="EUR" office:value="12.5"', "€")
    yes = ods_cell('office:value-type="boolean" office:boolean-value="true"', "TRUE")
    gap = '<table:table-cell table:number-columns-repeated="2"/>'
    filler = '<table:table-cell table:number-columns-repeated="1024"/>'
    members = (
        ods_row(ods_text("Coalition members 2026"), filler)
        + ods_row(filler)
        + ods_row(
            ods_text("Name"),
            ods_text("Email"),
            ods_text("Phone"),
            ods_text("Joined"),
            ods_text("Last call"),
            ods_text("Fee"),
            ods_text("Active"),
        )
        + ods_row(
            ods_text("Zofia Wójcik"), ods_text("zofia@example.org"), phone, date, stamp, fee, yes
        )
        + ods_row(filler, repeat=2)
        + ods_row(ods_text("Lukas Beispiel"), ods_text("lukas@example.net"), gap, ods_text("note"))
        + ods_row(filler, repeat=1_048_569)  # the filler LibreOffice writes to the last row
    )
    path = handmade_ods(
        tmp_path / "members.ods", [("Members", members), ("Other", ods_row(ods_text("x")))]
    )
    assert list_sheets(path) == ["Members", "Other"]
    table = open_table(path)
    assert (table.format, table.sheet, table.header_row) == ("ods", "Members", 3)
    assert table.headers == ["Name", "Email", "Phone", "Joined", "Last call", "Fee", "Active"]
    assert rows(table) == [
        (
            4,
            [
                "Zofia Wójcik",
                "zofia@example.org",
                "3225550101",
                "2026-03-01",
                "2026-03-01 14:30",
                "12.5",
                "TRUE",
            ],
        ),
        (7, ["Lukas Beispiel", "lukas@example.net", "", "", "note", "", ""]),
    ]
    assert open_table(path, sheet="Other").headers == ["x"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3225550101.0, "3225550101"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (1.5e20, "150000000000000000000"),
        (-0.0, "0"),
        (7, "7"),
        (True, "TRUE"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1, 14, 30), "2026-03-01 14:30"),
        (dt.time(9, 5), "09:05"),
        (dt.timedelta(hours=36, minutes=5), "36:05:00"),
        ("  padded\t", "padded"),
        (None, ""),
    ],
)
def test_cells_become_text(value: object, text: str) -> None:
    assert tabular._cell_text(value) == text


# ---------------------------------------------------------------------------
# What users get wrong


def test_missing_folder_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(FileProblem, match="is a folder"):
        open_table(tmp_path)
    (tmp_path / "people.pdf").write_bytes(b"%PDF-1.7")
    with pytest.raises(FileProblem, match=r"people\.pdf: coalition reads \.csv"):
        open_table(tmp_path / "people.pdf")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileProblem, match=r"save it as \.xlsx"):
        open_table(tmp_path / "old.xls")


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "empty.ods"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(FileProblem, match=f"{name} is empty"):
        open_table(tmp_path / name)


def test_only_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "blank.csv").write_bytes(b"\r\n \r\n\t\r\n")
    with pytest.raises(FileProblem, match="only blank lines"):
        open_table(tmp_path / "blank.csv")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4000),
        b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(400),
        bytes(range(1, 32)) * 50,
    ],
    ids=["random", "png", "control"],
)
def test_binary_file_named_csv(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "contacts.csv").write_bytes(data)
    with pytest.raises(FileProblem, match=r"contacts\.csv is not a text \(CSV\) file"):
        open_table(tmp_path / "contacts.csv")


def test_renamed_files(tmp_path: Path) -> None:
    members_workbook(tmp_path / "members.csv")
    with pytest.raises(FileProblem, match="is a zipped spreadsheet"):
        open_table(tmp_path / "members.csv")
    (tmp_path / "members.xlsx").write_text("Name,Email\nAnn,ann@example.org\n", encoding="utf-8")
    with pytest.raises(FileProblem, match=r"not a zip archive.*give it a \.csv extension"):
        open_table(tmp_path / "members.xlsx")
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    with pytest.raises(FileProblem, match="password-protected"):
        open_table(tmp_path / "locked.xlsx")


def test_other_zipped_documents(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "letter.xlsx", "w") as archive:  # a .docx, renamed
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(FileProblem, match="a zip archive but not an Excel workbook"):
        open_table(tmp_path / "letter.xlsx")
    text = handmade_ods(  # a LibreOffice Writer document, renamed
        tmp_path / "letter.ods", [], mimetype="application/vnd.oasis.opendocument.text"
    )
    with pytest.raises(FileProblem, match=r"letter\.ods is not an OpenDocument spreadsheet"):
        open_table(text)


def test_password_protected_ods(tmp_path: Path) -> None:
    path = handmade_ods(tmp_path / "locked.ods", [("S", ods_row(ods_text("x")))], encrypted=True)
    with pytest.raises(FileProblem, match=r"locked\.ods is password-protected"):
        open_table(path)


def test_truncated_xlsx(tmp_path: Path) -> None:
    whole = members_workbook(tmp_path / "whole.xlsx").read_bytes()
    (tmp_path / "half.xlsx").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileProblem, match=r"half\.xlsx is damaged or incomplete"):
        open_table(tmp_path / "half.xlsx")
    with pytest.raises(FileProblem, match="damaged or incomplete"):
        list_sheets(tmp_path / "half.xlsx")


def test_broken_sheet_xml_is_a_file_problem(tmp_path: Path) -> None:
    path = handmade_xlsx(tmp_path / "broken.xlsx", "", {SHEET: "<worksheet><sheetData><row r="})
    with pytest.raises(FileProblem, match=r"broken\.xlsx"):
        open_table(path)


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    bomb = handmade_xlsx(tmp_path / "bomb.xlsx", "", {SHEET: b" " * (48 << 20)})
    assert bomb.stat().st_size < 200_000
    with pytest.raises(FileProblem, match="unpacks to far more data"):
        open_table(bomb)


def test_zip_bomb_by_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_ZIP_TOTAL", 1 << 20)  # stands in for 1 GiB
    rows_xml = "".join(
        f'<row r="{i}">{text_cell(f"A{i}", f"Member {i} {random.Random(i).random()}")}</row>'
        for i in range(1, 30_000)
    )
    path = handmade_xlsx(tmp_path / "large.xlsx", rows_xml)
    with pytest.raises(FileProblem, match="unpacks to far more data"):
        open_table(path)


_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize(
    "part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml"]
)
def test_xml_entity_bomb(tmp_path: Path, part: str) -> None:
    if part.endswith("sharedStrings.xml"):
        data = (
            _LAUGHS
            + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>'
        )
    elif part.endswith("sheet1.xml"):
        data = sheet_xml(text_cell("A1", "&lol3;"), prolog=_LAUGHS.split("\n", 1)[1])
    else:
        data = _LAUGHS + _WORKBOOK.split("\n", 1)[1].replace("Members", "&lol3;")
    path = handmade_xlsx(tmp_path / "laughs.xlsx", text_cell("A1", "Name"), {part: data})
    with pytest.raises(FileProblem, match="declares XML entities"):
        open_table(path)


def far_cell_workbook(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Email"])
    sheet.append(["Ann Example", "ann@example.org"])
    sheet["XFD1048576"] = "stray"
    book.save(path)
    return path


FAR_CELL_DISGUISES = {
    # calamine reads all of these as a cell at XFD1048576
    "attribute_order": '<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>',
    "prefix": '<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',
    "whitespace": "<row r=\"1048576\"><c\n r = 'XFD1048576'><v>1</v></c></row>",
    "no_references": '<row r="1048576">' + "<c><v>1</v></c>" * 16384 + "</row>",
    "empty_string": '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>',
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures memory via /proc")
def test_far_away_cell_is_refused_without_allocating(tmp_path: Path) -> None:
    paths = [str(far_cell_workbook(tmp_path / "far.xlsx"))]
    for name, row in FAR_CELL_DISGUISES.items():
        first = f'<row r="1">{text_cell("A1", "Name")}</row>'
        paths.append(str(handmade_xlsx(tmp_path / f"far_{name}.xlsx", first + row)))
    repeated = ods_cell(
        'office:value-type="float" office:value="1" table:number-columns-repeated="16384"', "1"
    )
    far_ods = (
        ods_row(ods_text("Name"))
        + ods_row('<table:table-cell table:number-columns-repeated="16383"/>', repeat=1_048_574)
        + ods_row(repeated)
    )
    paths.append(str(handmade_ods(tmp_path / "far.ods", [("S", far_ods)])))
    paths.append(
        str(handmade_ods(tmp_path / "repeat.ods", [("S", ods_row(repeated, repeat=4000))]))
    )
    code = textwrap.dedent(
        """
        import resource, sys
        # if the guard failed, fail fast instead of swallowing the machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from coalition.errors import FileProblem
        from coalition.interchange.tabular import open_table
        for path in sys.argv[1:]:
            try:
                open_table(path)
                print("READ", path)
            except FileProblem as err:
                print("REFUSED", err)
        # VmHWM, unlike ru_maxrss, starts afresh at exec (not at the parent's peak)
        status = open("/proc/self/status").read()
        print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *verdicts, peak_kib = done.stdout.strip().splitlines()
    assert len(verdicts) == len(paths)
    assert all(v.startswith("REFUSED") for v in verdicts), verdicts
    assert "reaches cell XFD1048576" in verdicts[0]
    assert "delete the stray cells" in verdicts[0]
    assert int(peak_kib) < 200 * 1024, f"peak memory {int(peak_kib) // 1024} MiB"


def test_empty_formatted_far_cell_is_harmless(tmp_path: Path) -> None:
    # a self-closing cell has no value: calamine skips it and so does the guard
    first = f'<row r="1">{text_cell("A1", "Name")}{text_cell("B1", "Email")}</row>'
    data = f'<row r="2">{text_cell("A2", "Ann")}{text_cell("B2", "ann@example.org")}</row>'
    path = handmade_xlsx(
        tmp_path / "styled.xlsx", first + data + '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    )
    table = open_table(path)
    assert rows(table) == [(2, ["Ann", "ann@example.org"])]
