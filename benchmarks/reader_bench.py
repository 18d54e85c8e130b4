"""Reading 100,000 rows through ``interchange.tabular.open_table``.

Writes, in a temporary folder, a realistic member list of 100,000 fictional
people × 20 columns (accented names, numeric phone cells, dates, date-times,
amounts, booleans) twice:

- as CSV, the way Excel's "CSV UTF-8" writes it (BOM, commas, CRLF);
- as XLSX laid out the way Excel writes it (shared strings, styled date
  cells). It is written here directly rather than through openpyxl, whose
  writer takes longer than everything measured and uses inline strings,
  which Excel does not.

Then times, for each, ``open_table`` (detection, the zip/extent guard for
XLSX, header search) plus a full pass over ``rows()``, and beside them the
bare readers: python-calamine alone and openpyxl's read-only mode.

    python benchmarks/reader_bench.py [--rows 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakedata import organisations, people

from coalition.interchange import tabular
from coalition.interchange.tabular import open_table

HEADERS = [
    "Given name", "Family name", "Email", "Phone", "Mobile", "Organisation", "Role",
    "Street", "Postcode", "City", "Country", "Language", "Joined", "Last contact",
    "Fee", "Member", "Tags", "Website", "Notes", "ID",
]  # fmt: skip
CITIES = [
    "Liège",
    "Kraków",
    "München",
    "Göteborg",
    "Málaga",
    "Łódź",
    "Besançon",
    "Zürich",
    "Århus",
    "Brno",
]
STREETS = ["Rue de l'Église", "Hauptstraße", "Ulica Długa", "Calle Mayor", "Storgatan", "Via Roma"]
LANGS = ["fr", "de", "pl", "es", "sv", "it", "cs", "nl"]
TAGS = ["press", "board", "youth; climate", "donor", "volunteer", ""]
EPOCH = dt.datetime(1899, 12, 30)


def records(count: int) -> Iterator[list[object]]:
    orgs = organisations(2_000)
    for i, person in enumerate(people(count, orgs)):
        yield [
            person.given,
            person.family,
            person.email,
            3225550000 + i % 10_000,  # typed as a number, as spreadsheets do with phones
            person.phone,
            person.org.name,
            person.role,
            f"{STREETS[i % len(STREETS)]} {i % 200 + 1}",
            f"{1000 + i % 8999}",
            CITIES[i % len(CITIES)],
            person.org.country,
            LANGS[i % len(LANGS)],
            dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000),
            dt.datetime(2026, 3, 1, 9, 0) + dt.timedelta(minutes=17 * i),
            round(10 + (i % 500) * 0.25, 2),
            i % 3 != 0,
            TAGS[i % len(TAGS)],
            f"https://{person.org.domain}/",
            "Met at the spring assembly, follow up about the petition" if i % 7 == 0 else "",
            i + 1,
        ]


def csv_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for record in records(count):
            writer.writerow([csv_text(v) for v in record])


def write_xlsx(path: Path, count: int) -> None:
    """A workbook as Excel lays it out: shared strings, dates as styled serial numbers."""
    strings: dict[str, int] = {}

    def cell(ref: str, value: object) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.datetime):
            serial = (value - EPOCH).total_seconds() / 86400
            return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="1"><v>{(value - EPOCH.date()).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        text = str(value)
        if not text:
            return ""
        index = strings.setdefault(text, len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    letters = [chr(65 + i) for i in range(len(HEADERS))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                + f'<dimension ref="A1:T{count + 1}"/><sheetData>'.encode()
            )
            all_rows: Iterator[list[object]] = iter([list[object](HEADERS)])
            for number, record in enumerate(_chain(all_rows, records(count)), start=1):
                cells = "".join(
                    cell(f"{c}{number}", v) for c, v in zip(letters, record, strict=True)
                )
                sheet.write(f'<row r="{number}" spans="1:20">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        parts = {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                "</Types>"
            ),
            "_rels/.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                "</Relationships>"
            ),
            "xl/workbook.xml": (
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                "</Relationships>"
            ),
            "xl/styles.xml": (
                '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
                '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
                '<borders count="1"><border/></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                "</cellXfs>"
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>"
            ),
            "xl/sharedStrings.xml": (
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
            ),
        }
        for name, text in parts.items():
            archive.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + text
            )


def _chain(*iterables: Iterator[list[object]]) -> Iterator[list[object]]:
    for iterable in iterables:
        yield from iterable


def timed(label: str, action: Callable[[], object]) -> float:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:6.2f} s   {result}")
    return seconds


def read_all(path: Path) -> str:
    table = open_table(path)
    count = sum(1 for _ in table.rows())
    return f"{count:,} rows, header row {table.header_row}, {table.encoding or table.sheet}"


def guard_only(path: Path) -> str:
    with tabular._SafeZip(path, "xlsx") as zf:
        sheets = tabular._xlsx_sheets(zf)
        zf.check_xml_parts(skip=[s.part for s in sheets])
        rows, cols = tabular._xlsx_extent(zf, sheets[0].part)
    return f"bound {rows:,} × {cols} cells"


def calamine_bare(path: Path) -> str:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return f"{sum(1 for _ in sheet.iter_rows()):,} rows"


def openpyxl_bare(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return f"{count:,} rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, xlsx_path = folder / "members.csv", folder / "members.xlsx"
        start = time.perf_counter()
        write_csv(csv_path, args.rows)
        write_xlsx(xlsx_path, args.rows)
        print(
            f"{args.rows:,} rows × {len(HEADERS)} columns written in "
            f"{time.perf_counter() - start:.1f} s: CSV {csv_path.stat().st_size / 1e6:.1f} MB, "
            f"XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB"
        )
        print("CSV")
        timed("open_table + rows()", lambda: read_all(csv_path))
        print("XLSX")
        timed("open_table + rows()", lambda: read_all(xlsx_path))
        timed("  of which the zip/extent guard", lambda: guard_only(xlsx_path))
        timed("python-calamine alone (iter_rows)", lambda: calamine_bare(xlsx_path))
        timed("openpyxl read_only alone (values_only)", lambda: openpyxl_bare(xlsx_path))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run {peak:.0f} MiB")


if __name__ == "__main__":
    main()
