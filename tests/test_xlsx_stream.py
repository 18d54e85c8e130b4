"""The streamed .xlsx reader gives the texts calamine gave, row by row (interchange/xlsx.py).

Every workbook here is read both ways: calamine loading the sheet whole (as imports did
before), and the streamed reader. The texts of every row holding something, and its row
number, must be identical. Two differences are allowed, because no import can see them
(the module notes of xlsx.py): calamine starts each row at the sheet's first used
column where the streamed reader starts at column A, and trailing empty cells.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from coalition.errors import FileProblem
from coalition.interchange import tabular
from coalition.interchange.tabular import open_table
from coalition.interchange.xlsx import DATE, DURATION, NUMBER, _date_kind
from tests import hostile
from tests.test_tabular_reader import handmade_xlsx, members_workbook

ROOT = Path(__file__).resolve().parent.parent
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

Rows = list[tuple[int, list[str]]]


def _chosen(path: Path, sheet: str | None) -> tabular._Sheet:
    with tabular._SafeZip(path, "xlsx") as zf:
        return tabular._choose(path, tabular._xlsx_sheets(zf), sheet)


def calamine_rows(path: Path, sheet: str | None = None) -> Rows:
    grid = tabular._load_grid(path, _chosen(path, sheet), "xlsx")
    found = []
    for number, raw in tabular._grid_iter(grid, path):
        texts = tabular._texts(raw)
        if any(texts):
            found.append((number, _rstrip(texts)))
    return found


def streamed_rows(path: Path, sheet: str | None = None) -> Rows:
    chosen = _chosen(path, sheet)
    with tabular._SafeZip(path, "xlsx") as zf:
        source = tabular._xlsx_sheet(zf, chosen)
    merged: dict[int, list[Any]] = {}
    for number, raw in source.rows():
        into = merged.setdefault(number, [])  # calamine merges two rows with one number
        into.extend([None] * (len(raw) - len(into)))
        for at, value in enumerate(raw):
            if value is not None:
                into[at] = value
    # calamine's rows start at the sheet's first used column
    first = min(
        (next(i for i, v in enumerate(raw) if v is not None) for raw in merged.values()),
        default=0,
    )
    found = []
    for number in sorted(merged):
        texts = tabular._texts(merged[number][first:])
        if any(texts):
            found.append((number, _rstrip(texts)))
    return found


def _rstrip(texts: list[str]) -> list[str]:
    while texts and not texts[-1]:
        texts.pop()
    return texts


def assert_same(path: Path, sheet: str | None = None) -> Rows:
    expected = calamine_rows(path, sheet)
    got = streamed_rows(path, sheet)
    assert got == expected
    return got


def workbook(path: Path, rows: str, *, styles: str = "", shared: str = "", book: str = "") -> Path:
    """A handmade .xlsx: ``rows`` is its sheetData, the rest its optional parts."""
    parts: dict[str, str | bytes] = {}
    if styles:
        parts["xl/styles.xml"] = f'<styleSheet xmlns="{NS}">{styles}</styleSheet>'
    if book:
        parts["xl/workbook.xml"] = hostile._XLSX_PARTS["xl/workbook.xml"].replace(
            "<sheets>", book + "<sheets>"
        )
    return hostile.xlsx(path, rows, parts, shared)


# ---------------------------------------------------------------------------
# The suite's own workbooks


def test_the_suites_workbooks(tmp_path: Path) -> None:
    import openpyxl

    assert_same(members_workbook(tmp_path / "members.xlsx"))
    assert_same(members_workbook(tmp_path / "members.xlsx"), "Notes")
    assert_same(
        handmade_xlsx(
            tmp_path / "hand.xlsx",
            '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c></row>',
        )
    )
    wide = openpyxl.Workbook()
    wide.active.append([f"Column {i}" for i in range(300)])
    wide.active.append([f"v{i}" for i in range(300)])
    wide.save(tmp_path / "wide.xlsx")
    assert_same(tmp_path / "wide.xlsx")


@pytest.mark.parametrize(
    "case", [h for h in hostile.HOSTILE if h.name.startswith("xlsx_")], ids=lambda h: h.name
)
def test_hostile_workbooks_either_way(tmp_path: Path, case: hostile.Hostile) -> None:
    """Every hostile .xlsx calamine can load reads the same streamed; the others are
    refused by the guard before either reader runs."""
    path = case.build(tmp_path)
    try:
        open_table(path)
    except FileProblem:
        return  # refused before any reader: unchanged by this reader
    assert_same(path)


def test_import_bench_workbook(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from import_bench import HEADERS, make_rows, write_xlsx
        from xlsx_reader_bench import _write_shared
    finally:
        sys.path.pop(0)
    rows = make_rows(300)
    write_xlsx(tmp_path / "bench.xlsx", rows)
    assert len(assert_same(tmp_path / "bench.xlsx")) == 301
    _write_shared(tmp_path / "shared.xlsx", [HEADERS, *rows])  # as Excel writes strings
    with zipfile.ZipFile(tmp_path / "shared.xlsx") as archive:
        assert b't="s"' in archive.read("xl/worksheets/sheet1.xml")
    assert assert_same(tmp_path / "shared.xlsx") == assert_same(tmp_path / "bench.xlsx")


# ---------------------------------------------------------------------------
# Workbooks as openpyxl writes them (number formats, 1904; inline strings in either mode)


def _kitchen_sink(path: Path, *, epoch: Any = None) -> Path:
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.title = "Everything"
    sheet.append(["Kind", "Value", "Other"])
    values: list[Any] = [
        "Chloé Müller", "  padded  ", "Line one\nLine two", "tab\there", "a_x0041_b",
        "_x005F_x0041_", "#hash", "=not a formula", "", " ",
        0, 1, -1, 3225550101, 12345678901234567, 0.1 + 0.2, 1e-7, 1e20, -0.0, 12.5,
        2.5e-300, 1 / 3, -123.456, True, False,
        dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 14, 30), dt.datetime(2026, 3, 1, 14, 30, 5),
        dt.datetime(1900, 1, 1), dt.datetime(1900, 2, 28, 23, 59), dt.datetime(1900, 3, 1),
        dt.time(14, 30), dt.time(0, 0, 1), dt.timedelta(hours=36), dt.timedelta(minutes=-90),
    ]  # fmt: skip
    for index, value in enumerate(values):
        sheet.append([type(value).__name__, value, index])
    rich = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " tail"])
    sheet.append(["rich", rich])
    sheet.append(["formula", "=B2&B3"])
    sheet["C40"] = "#N/A"
    sheet["C40"].data_type = "e"
    formats = [
        "dd/mm/yyyy", "mmm d, yyyy", "yyyy-mm-dd hh:mm", "h:mm AM/PM", "[h]:mm", "[mm]:ss",
        '"Date: "yyyy', "0.00", "#,##0", "0%", "@", "d-mmm", "General", "[$-409]mmmm d, yyyy",
        "hh:mm:ss.000", "yy", "[Red]0.0", '0.00" days"', "mm:ss", "#,##0*-",
    ]  # fmt: skip
    for offset, number_format in enumerate(formats):
        for column, serial in enumerate((0.25, 45000, 45000.6, 59.5, 61, 1.5, -0.5)):
            cell = sheet.cell(row=50 + offset, column=4 + column, value=serial)
            cell.number_format = number_format
    sheet["B80"] = "far below"
    sheet.append([])
    book.create_sheet("Second").append(["x", 1])
    book.save(path)
    return path


def test_openpyxl_workbook_with_everything(tmp_path: Path) -> None:
    rows = assert_same(_kitchen_sink(tmp_path / "sink.xlsx"))
    texts = {r[0] for _, r in rows} | {v for _, r in rows for v in r}
    assert "Chloé Müller" in texts and "plain bold tail" in texts
    assert "2026-03-01 14:30" in texts and "36:00:00" in texts
    assert_same(tmp_path / "sink.xlsx", "Second")


def test_the_1904_date_system(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    rows = assert_same(_kitchen_sink(tmp_path / "mac.xlsx", epoch=CALENDAR_MAC_1904))
    assert any("2026-03-01" in r for _, r in rows)
    marked = workbook(
        tmp_path / "marked.xlsx",
        '<row r="1"><c r="A1" s="1"><v>45000</v></c><c r="B1" s="1"><v>0.5</v></c></row>',
        styles='<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>',
        book='<workbookPr date1904="true"/>',
    )
    assert assert_same(marked) == [(1, ["2027-03-16", "12:00"])]


def test_write_only_workbook_of_inline_strings(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Members")
    sheet.append(["Name", "Email", "Joined"])
    for i in range(50):
        sheet.append([f"Person {i} Ünal", f"p{i}@example.org", dt.date(2025, 1, 1 + i % 28)])
    book.save(tmp_path / "write_only.xlsx")
    assert len(assert_same(tmp_path / "write_only.xlsx")) == 51


# ---------------------------------------------------------------------------
# Handmade XML: what other programs write, and the corners


def _inline(ref: str, text: str, attrs: str = "") -> str:
    return f'<c r="{ref}" t="inlineStr"{attrs}><is><t>{text}</t></is></c>'


@pytest.mark.parametrize(
    "rows",
    [
        # shared strings: rich runs, phonetic text left out, escapes, preserved spaces
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c>'
        '<c r="F1" t="s"><v></v></c></row>',
        # inline strings, several <t>, runs, phonetic runs, nested runs
        '<row r="2">' + _inline("A2", "one</t><t>two") + '<c r="B2" t="inlineStr"><is><r><t>'
        'a</t></r><t>b</t><rPh sb="0" eb="1"><t>PH</t></rPh></is></c>'
        '<c r="C2" t="inlineStr"><is></is></c><c r="D2" t="inlineStr"><is><t>z</t></is>'
        '<v>5</v></c><c r="E2"><is><t>no type</t></is></c>'
        '<c r="F2" t="inlineStr"><is><t xml:space="preserve">  kept  </t></is></c></row>',
        # formulas' cached values, booleans, errors, ISO dates
        '<row r="3"><c r="A3" t="str"><f>B3</f><v>12</v></c><c r="B3" t="str"><v>a_x000D_b'
        '</v></c><c r="C3" t="b"><v>1</v></c><c r="D3" t="b"><v>0</v></c>'
        '<c r="E3" t="b"><v>true</v></c><c r="F3" t="e"><v>#N/A</v></c><c r="G3" t="e">'
        '<v>#DIV/0!</v></c><c r="H3" t="d"><v>2024-01-02T03:04:05</v></c><c r="I3" t="d">'
        '<v>2024-01-02</v></c><c r="J3"><v>1</v><f>A1</f></c><c r="K3" t="str"><v>1e3</v></c>'
        "</row>",
        # numbers as written by hand
        '<row r="4"><c r="A4"><v>-0</v></c><c r="B4"><v>1_000</v></c><c r="C4"><v> 7 </v></c>'
        '<c r="D4"><v>1e20</v></c><c r="E4"><v>1.</v></c><c r="F4"><v>.5</v></c>'
        '<c r="G4"><v>0x10</v></c><c r="H4"><v>inf</v></c><c r="I4"><v>12345678901234567</v>'
        '</c><c r="J4" t="n"><v>3.5</v></c><c r="K4"><v>abc</v></c><c r="L4"><v/></c></row>',
        # entities, CDATA, character references, line ends
        '<row r="5">'
        + _inline("A5", "Tom &amp; Jerry &lt;tj@example.org&gt;")
        + _inline("B5", "<![CDATA[<b>cdata</b>]]>")
        + _inline("C5", "&#233;t&#xE9; &#13; x")
        + _inline("D5", "a\r\nb")
        + "</row>",
        # cells and rows without r=, out of order, a row's cells claiming other rows
        '<row><c><v>1</v></c><c r="D1"><v>2</v></c><c><v>3</v></c></row>'
        '<row r="5"><c><v>4</v></c></row><row><c r="C9"><v>5</v></c><c><v>6</v></c></row>'
        "<row><c><v>7</v></c></row>",
        '<row r="2"><c r="C2"><v>2</v></c><c r="A2"><v>1</v></c><c r="A2"><v>9</v></c></row>',
        # empty rows above, data from column C, a very wide row
        '<row r="7" spans="3:4"><c r="C7" t="inlineStr"><is><t>Name</t></is></c>'
        '<c r="D7" t="inlineStr"><is><t>Email</t></is></c></row><row r="8"><c r="C8" s="0">'
        '<v>1</v></c><c r="XFD8"><v>2</v></c></row>',
        # empty cells: dropped before parsing where no later cell needs their place
        '<row r="1"><c r="A1" s="1"/><c r="B1" s="1" /><c r="C1"><v>1</v></c><c r="D1" s="2"/>'
        '<c><v>2</v></c><c r="F1" t="inlineStr"/></row><row r="2"><c r="A2" s="1"/></row>'
        '<row><c r="B3" x="a/>"/><c><v>3</v></c><c r="XFD3"/><c r="A3"><v>4</v></c></row>',
        # lower-case references, a row number with spaces, a styled empty cell
        '<row r="3"><c r="b3"><v>1</v></c><c r="C3" s="1"/></row>',
    ],
)
def test_handmade_sheets(tmp_path: Path, rows: str) -> None:
    shared = (
        '<si><t xml:space="preserve"> Ann </t></si><si/>'
        '<si><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r><rPh sb="0" eb="2"><t>PH</t></rPh>'
        '</si><si><t>s_x0042_ _X0041_ _xD83D_</t><phoneticPr fontId="1"/></si>'
        "<si><t>last</t></si>"
    )
    assert_same(workbook(tmp_path / "hand.xlsx", rows, shared=shared))


def test_a_namespace_prefix_on_every_element(tmp_path: Path) -> None:
    sheet = (
        f'<x:worksheet xmlns:x="{NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Name</x:t></x:is></x:c>'
        '<x:c r="B1" t="s"><x:v>0</x:v></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:v>42</x:v></x:c><x:c r="B2" s="1"><x:v>45000</x:v></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    path = hostile.xlsx(
        tmp_path / "prefixed.xlsx",
        parts={
            "xl/worksheets/sheet1.xml": sheet,
            "xl/styles.xml": f'<x:styleSheet xmlns:x="{NS}"><x:cellXfs><x:xf numFmtId="0"/>'
            '<x:xf numFmtId="14"/></x:cellXfs></x:styleSheet>',
        },
        shared="<si><t>Email</t></si>",
    )
    assert assert_same(path) == [(1, ["Name", "Email"]), (2, ["42", "2023-03-15"])]


def test_excel_shaped_sheet(tmp_path: Path) -> None:
    """As Excel writes a sheet: markup-compatibility namespaces, spans, x14ac attributes,
    a dimension, column widths, and parts after the data."""
    sheet = (
        f'<worksheet xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
        '2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/'
        'spreadsheetml/2009/9/ac"><dimension ref="A1:C3"/><sheetViews><sheetView '
        'tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15" '
        'x14ac:dyDescent="0.25"/><cols><col min="1" max="1" width="20" customWidth="1"/></cols>'
        '<sheetData><row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2" spans="1:3" x14ac:dyDescent="0.25"><c r="A2" t="s"><v>3</v></c>'
        '<c r="B2" s="1"><v>46082</v></c><c r="C2"><f>1+1</f><v>2</v></c></row>'
        '<row r="3" spans="1:3" x14ac:dyDescent="0.25"><c r="A3" t="s"><v>4</v></c>'
        '<c r="B3" s="2"><v>46082.604166666664</v></c><c r="C3" s="3"><v>0.1</v></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="D1:E1"/></mergeCells>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/></worksheet>'
    )
    styles = (
        f'<styleSheet xmlns="{NS}"><numFmts count="2"><numFmt numFmtId="164" '
        'formatCode="dd/mm/yyyy;@"/><numFmt numFmtId="165" formatCode="[$-F400]h:mm:ss\\ AM/PM"/>'
        '</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4">'
        '<xf numFmtId="0" fontId="0"/><xf numFmtId="164" applyNumberFormat="1"/>'
        '<xf numFmtId="165" applyNumberFormat="1"/><xf numFmtId="10" applyNumberFormat="1"/>'
        "</cellXfs></styleSheet>"
    )
    shared = (
        "<si><t>Name</t></si><si><t>Joined</t></si><si><t>Total</t></si>"
        '<si><r><rPr><b/><sz val="11"/></rPr><t>Ann</t></r><r><t xml:space="preserve"> '
        'Example</t></r></si><si><t>小林</t><rPh sb="0" eb="2"><t>コバヤシ</t></rPh>'
        '<phoneticPr fontId="1"/></si>'
    )
    path = hostile.xlsx(
        tmp_path / "excel.xlsx",
        parts={"xl/worksheets/sheet1.xml": sheet, "xl/styles.xml": styles},
        shared=shared,
    )
    assert assert_same(path) == [
        (1, ["Name", "Joined", "Total"]),
        (2, ["Ann Example", "2026-03-01", "2"]),
        (3, ["小林", "2026-03-01 14:30", "0.1"]),
    ]


def test_coalitions_own_export(tmp_path: Path) -> None:
    """What ``coalition export … .xlsx`` writes (a row at a time, styles for dates, bold
    header) reads back the same both ways."""
    from coalition.interchange.exporter import _write_xlsx

    rows = [
        ["Ann Example", "ann@example.org", dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 14, 30),
         12.5, True, "=HYPERLINK(\"x\")", "+32 2 555 01 01", "a & b < c", "Line\nbreak"],
        ["Bob", "", None, None, -3, False, "", "0032", "_x0041_", "  "],
    ]  # fmt: skip
    headers = ["Name", "Email", "Joined", "Called", "Fee", "Active", "Note", "Phone", "X", "Y"]
    _write_xlsx(tmp_path / "export.xlsx", headers, rows, "Contacts")
    got = assert_same(tmp_path / "export.xlsx")
    assert got[1] == (2, ["Ann Example", "ann@example.org", "2026-03-01", "2026-03-01 14:30",
                          "12.5", "TRUE", '=HYPERLINK("x")', "+32 2 555 01 01", "a & b < c",
                          "Line\nbreak"])  # fmt: skip


def test_libreoffice_and_google_shaped_sheets(tmp_path: Path) -> None:
    """LibreOffice writes every cell's style and row attributes, formulas with aca=,
    booleans as t="b"; Google Sheets writes shared strings with styles on each cell and
    dates as custom formats."""
    libreoffice = (
        '<row r="1" customFormat="false" ht="12.8" hidden="false" customHeight="false" '
        'outlineLevel="0" collapsed="false"><c r="A1" s="0" t="s"><v>0</v></c>'
        '<c r="B1" s="0" t="s"><v>1</v></c><c r="C1" s="0" t="s"><v>2</v></c></row>'
        '<row r="2" customFormat="false" ht="12.8" hidden="false" customHeight="false" '
        'outlineLevel="0" collapsed="false"><c r="A2" s="0" t="s"><v>3</v></c>'
        '<c r="B2" s="1" t="n"><v>46082</v></c><c r="C2" s="0" t="b"><v>1</v></c>'
        '<c r="D2" s="0" t="n"><f aca="false">B2+1</f><v>46083</v></c></row>'
    )
    google = (
        '<row r="1"><c r="A1" s="2" t="s"><v>0</v></c><c r="B1" s="2" t="s"><v>1</v></c>'
        '</row><row r="2"><c r="A2" s="3" t="s"><v>3</v></c><c r="B2" s="4"><v>46082.5</v>'
        '</c><c r="C2" s="3"/><c r="D2" s="3"/></row>'
    )
    styles = (
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/>'
        '<numFmt numFmtId="165" formatCode="m/d/yyyy h:mm:ss"/></numFmts>'
        '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="true"/>'
        '<xf borderId="0" fillId="0" fontId="1" numFmtId="0" xfId="0" applyFont="1"/>'
        '<xf borderId="0" fillId="0" fontId="2" numFmtId="0" xfId="0"/>'
        '<xf numFmtId="165" xfId="0" applyNumberFormat="1"/></cellXfs>'
    )
    shared = "<si><t>Name</t></si><si><t>Joined</t></si><si><t>Active</t></si><si><t>Zoë</t></si>"
    for name, rows in (("libreoffice", libreoffice), ("google", google)):
        assert_same(workbook(tmp_path / f"{name}.xlsx", rows, styles=styles, shared=shared))


def test_dates_by_number_format_at_random(tmp_path: Path) -> None:
    """Serials of every kind under built-in and custom formats, both date systems."""
    randomly = random.Random(20261207)
    formats = [
        "yyyy-mm-dd", "d/m/yy h:mm", "[h]:mm:ss", "[ss]", "[Blue]\\+[h]:mm;[Red]\\-[h]:mm",
        "h:mm AM/PM", "ha/p\\\\m", '"Y: "0.00"m"', "#,##0\\ [$\\u20bd-46D]", "\\Y000000",
        "0_ ;[Red]\\-0\\ ", "#,##0*y", "*-yyyy-mm-dd", "[>=100][Magenta].00", "mm:ss.0",
        "m\"M\"d\"D\";@", "DD/MM/YY", "[$-404]e\"\\xfc\"m", "General", "0.000E+00",
    ]  # fmt: skip
    numfmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{_attr(code)}"/>'
        for i, code in enumerate(formats)
    )
    builtin = list(range(0, 64))
    xfs = [f'<xf numFmtId="{n}"/>' for n in builtin] + [
        f'<xf numFmtId="{164 + i}"/>' for i in range(len(formats))
    ]
    styles = f"<numFmts>{numfmts}</numFmts><cellXfs>{''.join(xfs)}</cellXfs>"
    serials = [0, 0.5, 1, 59, 60, 61, 0.999999999, 1e-9, -1.5, 2958465.99999, 3e6, 45000.123456789]
    serials += [randomly.uniform(-2, 100_000) for _ in range(60)]
    serials += [
        round(randomly.uniform(0, 60_000)) + randomly.randrange(86_400) / 86_400 for _ in range(60)
    ]
    rows = []
    for number, serial in enumerate(serials, start=1):
        cells = "".join(
            f'<c r="{tabular.column_name(style + 1)}{number}" s="{style}"><v>{serial!r}</v></c>'
            for style in range(len(xfs) + 2)  # and two styles past the table
        )
        rows.append(f'<row r="{number}">{cells}</row>')
    for book in ("", '<workbookPr date1904="1"/>'):
        path = workbook(tmp_path / "dates.xlsx", "".join(rows), styles=styles, book=book)
        assert len(assert_same(path)) == len(serials)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("DD/MM/YY", DATE), ("H:MM:SS;@", DATE), ("[h]:mm:ss", DURATION), ("[ss]", DURATION),
        ("[h]:mm;[=0]\\-", DURATION), ("#,##0\\ [$\\u20bd-46D]", NUMBER), ("\\Y000000", NUMBER),
        ('"$"#,##0_);[Red]("$"#,##0)', NUMBER), ("[>=100][Magenta]General", NUMBER),
        ("ha/p\\\\m", DATE), ("0.00", NUMBER), ("#,##0*y", NUMBER), ("*-yyyy-mm-dd", DATE),
    ],
)  # fmt: skip
def test_custom_number_formats(code: str, kind: int) -> None:
    assert _date_kind(code) == kind


# ---------------------------------------------------------------------------
# Where calamine refuses the sheet, the streamed reader reads on


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ('<c r="B1" t="e"><v>#WHAT</v></c>', ""),
        ('<c r="B1" t="s"><v>7</v></c>', ""),
        ('<c r="B1" t="zz"><v>7</v></c>', "7"),
        ('<c r="B1" t="n"><v>abc</v></c>', "abc"),
        ('<c r="B1" t="b"><v>2</v></c>', "2"),
        ('<c r="B1"><extLst/><v>3</v></c>', "3"),
    ],
)
def test_what_calamine_refuses_is_read_sensibly(tmp_path: Path, cell: str, text: str) -> None:
    path = workbook(
        tmp_path / "odd.xlsx",
        f'<row r="1">{_inline("A1", "Name")}{cell}</row><row r="2">{_inline("A2", "Ann")}</row>',
        shared="<si><t>only</t></si>",
    )
    with pytest.raises(FileProblem):
        calamine_rows(path)
    assert streamed_rows(path)[0] == (1, ["Name", text] if text else ["Name"])


# ---------------------------------------------------------------------------
# Imports read .xlsx streamed


def test_open_table_reads_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _kitchen_sink(tmp_path / "sink.xlsx")
    streamed = open_table(path)
    monkeypatch.setenv(tabular._ENGINE, "calamine")
    whole = open_table(path)
    assert isinstance(streamed._grid, tabular._XlsxSheet)
    assert not isinstance(whole._grid, tabular._XlsxSheet)
    assert (streamed.headers, streamed.header_row) == (whole.headers, whole.header_row)
    assert list(streamed.rows()) == list(whole.rows())
    assert list(streamed.rows()) == list(streamed.rows())  # streams again from the start


def test_broken_xml_in_the_data_is_a_sentence(tmp_path: Path) -> None:
    rows = '<row r="1">' + _inline("A1", "Name") + _inline("B1", "Email") + "</row>"
    rows += "".join(
        f'<row r="{n}">' + _inline(f"A{n}", f"P{n}") + _inline(f"B{n}", f"p{n}@example.org")
        + "</row>"
        for n in range(2, 3000)
    )  # fmt: skip
    path = workbook(tmp_path / "broken.xlsx", rows + '<row r="3000"><c r="A3000"><v>1</v></row>')
    table = open_table(path)  # the header is read before the break
    said = r"broken\.xlsx: sheet 'Members' cannot be read \(mismatched tag"
    with pytest.raises(FileProblem, match=said):
        list(table.rows())


# ---------------------------------------------------------------------------
# Memory: one row, never the sheet


def test_a_large_sheet_is_read_in_little_memory(tmp_path: Path) -> None:
    """60,000 rows × 14 columns: calamine holds the sheet (~90 MiB more); streamed, the
    process grows by a few MiB whatever the number of rows."""
    script = (
        "import sys\n"
        "from coalition.interchange.tabular import open_table\n"
        "import python_calamine\n"
        "def peak():  # VmHWM: ru_maxrss would include pytest's own peak, from before exec\n"
        "    with open('/proc/self/status') as status:\n"
        "        line = next(x for x in status if x.startswith('VmHWM:'))\n"
        "    return int(line.split()[1]) // 1024\n"
        "before = peak()\n"
        "table = open_table(sys.argv[1])\n"
        "count = sum(1 for _ in table.rows())\n"
        "print(count, peak() - before)\n"
    )
    path = tmp_path / "large.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in hostile._XLSX_PARTS.items():
            archive.writestr(name, data)
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{NS}"/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(hostile._SHEET_HEAD)
            header = "".join(_inline(f"{chr(65 + c)}1", f"Column {c}") for c in range(14))
            sheet.write(f'<row r="1">{header}</row>'.encode())
            for n in range(2, 60_002):
                cells = "".join(
                    _inline(f"{chr(65 + c)}{n}", f"value {n} {c} example.org") for c in range(14)
                )
                sheet.write(f'<row r="{n}">{cells}</row>'.encode())
            sheet.write(hostile._SHEET_TAIL)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for engine, most in (("stream", 12), ("calamine", math.inf)):
        env[tabular._ENGINE] = engine
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            capture_output=True, text=True, env=env, check=True, timeout=300,
        )  # fmt: skip
        count, grown = map(int, done.stdout.split())
        assert count == 60_000
        if engine == "stream":
            streamed_growth = grown
            assert grown < most, f"reading the rows grew the process by {grown} MiB"
        else:
            assert grown > streamed_growth + 40, (grown, streamed_growth)


def test_the_reading_process_does_not_scan_checked_bytes_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A big workbook is read a second time by a second process (interchange.feed): the
    # bounds the first open checked (rows, columns, repeated texts: a pass over the whole
    # sheet, 0.7 s of 100,000 rows) are not scanned again while the file and the sheet
    # asked for are the same; a changed file or another sheet is scanned as ever.
    from coalition.interchange.importer import open_source

    path = members_workbook(tmp_path / "members.xlsx")
    first = open_source(path)
    scans: list[str] = []
    real = tabular._xlsx_extent

    def counted(zf: Any, part: str, *args: Any, **kwargs: Any) -> Any:
        scans.append(part)
        return real(zf, part, *args, **kwargs)

    monkeypatch.setattr(tabular, "_xlsx_extent", counted)
    again = open_source(path, **first.opened)
    assert scans == []
    names = [r.full_name for r in first.records]
    assert [r.full_name for r in again.records] == names and "Ann Example" in names
    asked = {**first.opened, "sheet": "Members 2026"}  # the same sheet, asked by name
    open_source(path, **asked)
    assert len(scans) == 1
    seen = path.stat()
    os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns + 1_000_000_000))
    open_source(path, **first.opened)
    assert len(scans) == 2
