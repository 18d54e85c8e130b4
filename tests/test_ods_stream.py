"""The streamed .ods reader (coalition.interchange.ods) against python-calamine.

Every .ods the suite builds, and files covering what LibreOffice writes, are read three
ways: by calamine (what imports used until now), by the streamed reader's fast paths and by
its expat path alone. Row numbers and the text of every cell must agree, except where
calamine is wrong on purpose (listed in ods.py and pinned at the end of this file).
Everyone in these files is invented (example.org / example.net).
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from coalition.errors import FileProblem
from coalition.interchange import tabular
from coalition.interchange.ods import OdsTable
from coalition.interchange.tabular import open_table
from tests.hostile import HOSTILE, ods
from tests.test_tabular_reader import handmade_ods

Rows = list[tuple[int, list[str]]]


def _trimmed(texts: list[str]) -> list[str]:
    while texts and not texts[-1]:
        texts.pop()
    return texts


def calamine_rows(path: Path, sheet: str) -> Rows:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    if grid.start is None:
        return []
    # calamine drops the empty columns left of the used range; the streamed reader does not
    shift = [""] * grid.start[1]
    out = []
    for number, raw in enumerate(grid.iter_rows(), 1):
        texts = _trimmed(shift + tabular._texts(raw))
        if texts:
            out.append((number, texts))
    return out


def stream_rows(path: Path, sheet: str, *, plain: bool = True) -> Rows:
    table = OdsTable(path, sheet, lambda: tabular._ods_content(path))
    out = []
    for number, raw in table.rows(plain=plain):
        texts = _trimmed(tabular._texts(raw))
        if texts:
            out.append((number, texts))
    return out


def assert_same(path: Path, sheet: str) -> Rows:
    expected = calamine_rows(path, sheet)
    assert stream_rows(path, sheet) == expected
    assert stream_rows(path, sheet, plain=False) == expected
    return expected


# ---------------------------------------------------------------------------
# Cells as LibreOffice writes them


def text(value: str, extra: str = "") -> str:
    return (
        f'<table:table-cell office:value-type="string" calcext:value-type="string"{extra}>'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def plain_text(value: str) -> str:
    return (
        f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    )


def typed(attributes: str, shown: str = "x") -> str:
    return f"<table:table-cell {attributes}><text:p>{shown}</text:p></table:table-cell>"


def row(*cells: str, attributes: str = "") -> str:
    return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"


def repeated(times: int) -> str:
    return f' table:number-rows-repeated="{times}"'


EMPTY = "<table:table-cell/>"
FILLER = '<table:table-cell table:number-columns-repeated="1024"/>'

CELLS = {
    "float": typed('office:value-type="float" office:value="12.5" calcext:value-type="float"'),
    "phone": typed('office:value-type="float" office:value="3225550101"'),
    "big": typed('office:value-type="float" office:value="1E+20"'),
    "negative zero": typed('office:value-type="float" office:value="-0"'),
    "percentage": typed('office:value-type="percentage" office:value="0.25"', "25%"),
    "currency": typed('office:value-type="currency" office:currency="EUR" office:value="3"'),
    "date": typed('office:value-type="date" office:date-value="2026-03-01"'),
    "date-time": typed('office:value-type="date" office:date-value="2026-03-01T14:30:05"'),
    "midnight": typed('office:value-type="date" office:date-value="2026-03-01T00:00:00"'),
    "fraction": typed('office:value-type="date" office:date-value="2026-03-01T14:30:05.123456789"'),
    "zoned date": typed('office:value-type="date" office:date-value="2026-03-01T14:30:05Z"'),
    "impossible date": typed('office:value-type="date" office:date-value="2026-02-30"'),
    "time": typed('office:value-type="time" office:time-value="PT14H30M00S"'),
    "time with seconds": typed('office:value-type="time" office:time-value="PT01H02M03.5S"'),
    "true": typed('office:value-type="boolean" office:boolean-value="true"'),
    "false": typed('office:value-type="boolean" office:boolean-value="false"'),
    "paragraphs": '<table:table-cell office:value-type="string"><text:p>one</text:p>'
    "<text:p>two</text:p></table:table-cell>",
    "empty paragraph": '<table:table-cell office:value-type="string"><text:p/></table:table-cell>',
    "no paragraph": '<table:table-cell office:value-type="string"></table:table-cell>',
    "span": text('a<text:span text:style-name="T1">b</text:span>c'),
    "link": text('<text:a xlink:href="https://www.example.org/" xlink:type="simple">site</text:a>'),
    "spaces": text('a<text:s text:c="3"/>b<text:s/>c<text:s text:c="0"/>d'),
    "entities": text("Smith &amp; Co &lt;b&gt; &quot;q&quot; &apos;s&apos; &#233;&#x00E9;"),
    "annotation": '<table:table-cell office:value-type="string"><office:annotation>'
    "<dc:creator>Ann</dc:creator><dc:date>2026-01-01T00:00:00</dc:date>"
    "<text:p>a note</text:p></office:annotation><text:p>value</text:p></table:table-cell>",
    "annotation between": '<table:table-cell office:value-type="string"><text:p>v1</text:p>'
    "<office:annotation><text:p>n</text:p></office:annotation><text:p>v2</text:p>"
    "</table:table-cell>",
    "annotation only": "<table:table-cell><office:annotation><text:p>n</text:p>"
    "</office:annotation></table:table-cell>",
    "annotated number": '<table:table-cell office:value-type="float" office:value="1">'
    "<office:annotation><text:p>n</text:p></office:annotation></table:table-cell>",
    "string value": typed('office:value-type="string" office:string-value="attr"', "shown"),
    "untyped": "<table:table-cell><text:p>untyped</text:p></table:table-cell>",
    "float without value": typed('office:value-type="float"', "nov"),
    "value first": typed('office:value="3" office:value-type="float"'),
    "error": typed(
        'table:formula="of:=X" office:value-type="string" office:string-value="" '
        'calcext:value-type="error"',
        "#NAME?",
    ),
    "formula": typed('table:formula="of:=1+1" office:value-type="float" office:value="2"'),
    "list": '<table:table-cell office:value-type="string"><text:list><text:list-item>'
    "<text:p>i1</text:p></text:list-item><text:list-item><text:p>i2</text:p></text:list-item>"
    "</text:list><text:p>after</text:p></table:table-cell>",
    "styled": text("Ann", ' table:style-name="ce1"'),
    "inner spaces": '<table:table-cell office:value-type="string"><text:p>  pad  </text:p>'
    "</table:table-cell>",
    "unicode": text("Ελένη Wójcik 山田"),
    "text then >": text("a &gt; b > c"),
    "covered": '<table:covered-table-cell office:value-type="string"><text:p>hidden</text:p>'
    "</table:covered-table-cell>",
}


def test_every_kind_of_cell_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    rows = "".join(row(text(name), cell, text("end")) for name, cell in CELLS.items())
    path = handmade_ods(tmp_path / "cells.ods", [("Cells", rows)])
    got = {texts[0]: texts for _, texts in assert_same(path, "Cells")}
    assert got["float"] == ["float", "12.5", "end"]
    assert got["date-time"] == ["date-time", "2026-03-01 14:30:05", "end"]
    assert got["time"] == ["time", "14:30", "end"]
    assert got["paragraphs"] == ["paragraphs", "one\ntwo", "end"]
    assert got["spaces"] == ["spaces", "a   b cd", "end"]
    assert got["annotation"] == ["annotation", "value", "end"]
    assert got["annotation between"] == ["annotation between", "v1\nv2", "end"]
    assert got["entities"][1] == "Smith & Co <b> \"q\" 's' éé"


def test_rows_as_libreoffice_lays_them_out(tmp_path: Path) -> None:
    members = (
        '<table:table-column table:style-name="co1" table:number-columns-repeated="3"/>'
        + row(EMPTY)
        + row(FILLER, attributes=repeated(3))  # empty rows above the data
        + "<table:table-header-rows>"
        + row(text("Name"), text("Email"), text("Phone"), FILLER)
        + "</table:table-header-rows>"
        + row(text("Ann Example"), text("ann@example.org"), CELLS["phone"], FILLER)
        + "<table:table-row-group>"
        + row(text("Bob Example"), EMPTY, text("555"), attributes=' table:visibility="collapse"')
        + "<table:table-row-group>"
        + row(text("Cem Example"), attributes=repeated(2))
        + "</table:table-row-group></table:table-row-group>"
        + "<table:table-rows>"
        + row(
            text("Dee Example"),
            '<table:table-cell table:number-columns-repeated="2"/>',
            typed('office:value-type="float" office:value="7" table:number-columns-repeated="3"'),
        )
        + "</table:table-rows>"
        + row(FILLER, attributes=repeated(5))
        + row(
            '<table:table-cell table:number-columns-spanned="2" office:value-type="string">'
            "<text:p>merged</text:p></table:table-cell><table:covered-table-cell/>",
            text("after"),
        )
        + row(FILLER, attributes=repeated(1_048_560))  # LibreOffice's filler to the last row
    )
    other = row(text("Elsewhere"), text("x"))
    path = handmade_ods(tmp_path / "members.ods", [("Before", other), ("Members", members)])
    assert assert_same(path, "Members") == [
        (5, ["Name", "Email", "Phone"]),
        (6, ["Ann Example", "ann@example.org", "3225550101"]),
        (7, ["Bob Example", "", "555"]),
        (8, ["Cem Example"]),
        (9, ["Cem Example"]),
        (10, ["Dee Example", "", "", "7", "7", "7"]),
        (16, ["merged", "", "after"]),
    ]
    assert assert_same(path, "Before") == [(1, ["Elsewhere", "x"])]


def test_the_commonest_rows_take_the_fast_path_and_agree(tmp_path: Path) -> None:
    # thousands of rows, so that rows fall on every side of the 1 MiB blocks read
    rng = random.Random(16)
    names = ["Ann", "Bob", "Zofia Wójcik", "Ελένη", "Smith &amp; Co", "O'Brien", ""]
    kinds = [
        lambda: text(rng.choice(names)),
        lambda: plain_text(rng.choice(names)),
        lambda: EMPTY,
        lambda: typed(f'office:value-type="float" office:value="{rng.randint(0, 10**10)}"'),
        lambda: typed(f'office:value-type="date" office:date-value="2026-03-0{rng.randint(1, 9)}"'),
        lambda: f'<table:table-cell table:number-columns-repeated="{rng.randint(2, 5)}"/>',
        lambda: CELLS[rng.choice(list(CELLS))],
    ]
    body = []
    for _ in range(12_000):
        weights = [30, 30, 10, 10, 5, 5, 1]
        cells = [rng.choices(kinds, weights)[0]() for _ in range(rng.randint(0, 12))]
        body.append(row(*cells, attributes=repeated(2) if rng.random() < 0.01 else ""))
    tables = [("A", "".join(body[:6000])), ("B", "".join(body[6000:])), ("C", row(text("c")))]
    path = handmade_ods(tmp_path / "many.ods", tables)
    assert len(assert_same(path, "B")) > 5000
    assert assert_same(path, "A")
    assert assert_same(path, "C") == [(1, ["c"])]


def test_every_ods_the_hostile_suite_builds_that_is_read(tmp_path: Path) -> None:
    read = 0
    for hostile in HOSTILE:
        folder = tmp_path / hostile.name
        folder.mkdir()
        path = hostile.build(folder)
        if path.suffix != ".ods":
            continue
        try:
            table = open_table(path)
        except FileProblem:
            continue  # refused by the guard before any reader runs
        assert table.sheet is not None
        assert_same(path, table.sheet)
        read += 1
    assert read >= 1


def test_a_comment_or_cdata_never_passes_for_a_row(tmp_path: Path) -> None:
    fake = row(text("not a row"))
    members = (
        row(text("Name"), text("Email"))
        + f"<!-- {fake.replace('--', '')} -->"
        + row(text("Ann"), text("ann@example.org"))
        + f"<!-- </table:table-row>{fake} -->"
        + row(text("Bob"), text("bob@example.org"))
    )
    path = ods(tmp_path / "comments.ods", f'<table:table table:name="M">{members}</table:table>')
    assert assert_same(path, "M") == [
        (1, ["Name", "Email"]),
        (2, ["Ann", "ann@example.org"]),
        (3, ["Bob", "bob@example.org"]),
    ]


FIXTURES = Path(__file__).parent / "fixtures" / "tables"


@pytest.mark.parametrize(
    ("name", "sheet", "ours"),
    [
        # LibreOffice 7.4 (soffice --headless --convert-to ods) from a UTF-8 CSV...
        ("libreoffice_from_csv.ods", "from_csv", {(7, 6): ("tabhere", "tab\there")}),
        # ...and from an XLSX openpyxl wrote: a note, merged and hidden rows, formulas
        ("libreoffice_from_xlsx.ods", "Members", {(2, 7): ("PT36H00M00S", "36:00:00")}),
        ("libreoffice_from_xlsx.ods", "Second", {}),
        ("libreoffice_from_xlsx.ods", "Offset", {}),
    ],
)
def test_files_libreoffice_wrote(
    name: str, sheet: str, ours: dict[tuple[int, int], tuple[str, str]]
) -> None:
    path = FIXTURES / name
    expected = calamine_rows(path, sheet)
    for (number, column), (theirs, mine) in ours.items():
        texts = next(texts for n, texts in expected if n == number)
        assert texts[column] == theirs
        texts[column] = mine
    assert stream_rows(path, sheet) == expected
    assert stream_rows(path, sheet, plain=False) == expected


def test_a_libreoffice_file_imports_as_its_rows_read() -> None:
    table = open_table(FIXTURES / "libreoffice_from_csv.ods")
    assert (table.sheet, table.header_row) == ("from_csv", 3)
    assert [(r.number, r.values[:2]) for r in table.rows()] == [
        (4, ["Zofia Wójcik", "zofia@example.org"]),
        (5, ["Ελένη Παπαδοπούλου", "eleni@example.net"]),
        (6, ["山田 花子", "hanako@example.org"]),
        (7, ["Lukas Beispiel", "lukas@example.net"]),
        (9, ["Ann Example", "ann@example.org"]),
    ]


# ---------------------------------------------------------------------------
# Where the streamed reader differs from calamine on purpose


def test_what_calamine_gets_wrong(tmp_path: Path) -> None:
    members = row(
        text("a<text:tab/>b<text:line-break/>c"),
        typed('office:value-type="time" office:time-value="PT36H00M00S"'),
        typed('office:value-type="time" office:time-value="-PT01H02M03S"'),
        typed('office:value-type="time" office:time-value="PT1H"'),
        typed('office:value-type="boolean" office:boolean-value="1"'),
        '<table:table-cell office:value-type="string"><draw:frame><draw:text-box>'
        "<text:p>box</text:p></draw:text-box></draw:frame><text:p>value</text:p>"
        "</table:table-cell>",
    )
    path = handmade_ods(tmp_path / "wrong.ods", [("S", row(EMPTY, text("x")) + members)])
    expected = [
        (1, ["", "x"]),  # column B stays column B
        (2, ["a\tb\nc", "36:00:00", "-1:02:03", "01:00", "TRUE", "value"]),
    ]
    assert stream_rows(path, "S") == expected
    assert stream_rows(path, "S", plain=False) == expected


def test_an_indented_content_xml_is_read(tmp_path: Path) -> None:
    members = "\n  " + row(text("Name"), "\n    ", text("Email")) + "\n  "
    members += row(text("Ann"), "\n    ", text("ann@example.org")) + "\n"
    path = ods(tmp_path / "indented.ods", f'<table:table table:name="M">{members}</table:table>')
    table = open_table(path)  # calamine refused it ("Expecting 'table-cell'")
    assert table.headers == ["Name", "Email"]
    assert [(r.number, r.values) for r in table.rows()] == [(2, ["Ann", "ann@example.org"])]


def test_a_number_that_is_not_one_is_refused_naming_its_cell(tmp_path: Path) -> None:
    members = row(text("Name"), text("Fee")) + row(
        text("Ann"), typed('office:value-type="float" office:value="1,5"')
    )
    path = handmade_ods(tmp_path / "comma.ods", [("Members", members)])
    for plain in (True, False):
        with pytest.raises(FileProblem, match=r"comma\.ods: sheet 'Members' cell B2 holds '1,5'"):
            stream_rows(path, "Members", plain=plain)


def test_broken_xml_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    members = row(text("Name"), text("Email")) + row(text("Ann"), "<table:table-cell>")
    path = ods(tmp_path / "broken.ods", f'<table:table table:name="M">{members}</table:table>')
    with pytest.raises(FileProblem, match=r"broken\.ods is damaged"):
        list(open_table(path).rows())


# ---------------------------------------------------------------------------
# Memory


_MEASURE = textwrap.dedent(
    """
    import resource, sys
    from coalition.interchange.tabular import open_table
    table = open_table(sys.argv[1])
    count = sum(1 for _ in table.rows())
    print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def test_a_large_table_is_read_in_little_memory(tmp_path: Path) -> None:
    # 60,000 rows × 14 cells: calamine held them all (~130 MiB); one row at a time now
    header = row(*(text(f"Column {i}") for i in range(14)))
    line = row(
        *(text(f"value {i} of a member") for i in range(13)),
        typed('office:value-type="float" office:value="3225550101"'),
    )
    path = handmade_ods(tmp_path / "large.ods", [("Members", header + line * 60_000)])
    baseline = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, coalition.interchange.tabular;"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    count, peak = map(int, done.stdout.split())
    assert count == 60_000
    assert peak - int(baseline.stdout) < 30, (peak, baseline.stdout)


@pytest.mark.parametrize(
    "bomb",
    [
        row(text("v"), attributes=repeated(1_048_576)),
        row(text("v"), typed('office:value-type="string" table:number-columns-repeated="16384"')),
        row('<table:table-cell table:number-columns-repeated="2000000000"/>', text("v")),
    ],
)
def test_repeats_past_the_guard_are_refused_not_multiplied(tmp_path: Path, bomb: str) -> None:
    # the guard refuses these when the file is opened; the reader reads the file again,
    # so a file swapped in between meets the same bounds
    path = handmade_ods(tmp_path / "swapped.ods", [("S", row(text("Name")) + bomb)])
    with pytest.raises(FileProblem):
        open_table(path)
    for plain in (True, False):
        with pytest.raises(FileProblem, match=r"swapped\.ods: .* has changed since"):
            stream_rows(path, "S", plain=plain)


def test_odd_counts_are_no_traceback_and_no_gigabytes(tmp_path: Path) -> None:
    members = row(
        text('a<text:s text:c="10000000000"/>b'),
        typed('office:value-type="float" office:value="1" table:number-columns-repeated="²"'),
        text("c"),
        attributes=' table:number-rows-repeated="³"',
    )
    path = handmade_ods(tmp_path / "odd.ods", [("S", members)])
    expected = [(1, ["a" + " " * 1_000 + "b", "1", "c"])]
    assert stream_rows(path, "S") == expected
    assert stream_rows(path, "S", plain=False) == expected
