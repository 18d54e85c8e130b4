"""Hostile files for ``coalition import``: built small, each meant to exhaust or confuse a reader.

Shared by ``tests/test_hostile_files.py`` (every file: a clear sentence or a correct
import, no traceback, the database unchanged on refusal) and
``benchmarks/hostile_bench.py`` (every file's time and peak memory in its own process).
Every person in them is invented (example.org / example.net).

``HOSTILE`` lists (name, builder, expected outcome, extra arguments); a builder writes
its file into a folder and returns the path. Outcomes: "refused" (exit 1, one
sentence), "imported" (exit 0), "either" (any clean outcome: the point is that
nothing breaks).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Builder = Callable[[Path], Path]

HEADER = "Name,Email,Organisation\r\n"
ANN = "Ann Example,ann@example.org,Green Example\r\n"


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Builder
    expect: str
    args: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Containers

_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Members" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet"/><Relationship Id="rId2" '
        'Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/sharedStrings"/></Relationships>'
    ),
}
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return (
        '<row r="1">'
        + inline("A1", "Name")
        + inline("B1", "Email")
        + inline("C1", "Organisation")
        + "</row>"
    )


def ann_row(number: int = 2) -> str:
    return (
        f'<row r="{number}">'
        + inline(f"A{number}", "Ann Example")
        + inline(f"B{number}", "ann@example.org")
        + inline(f"C{number}", "Green Example")
        + "</row>"
    )


def xlsx(
    path: Path,
    rows: str | Callable[[], bytes] = "",
    parts: dict[str, str | bytes] | None = None,
    shared: str = "",
) -> Path:
    """An .xlsx with one sheet "Members": ``rows`` is its sheetData (text, or a function
    giving the bytes for very large sheets, streamed into the archive)."""
    entries: dict[str, str | bytes] = dict(_XLSX_PARTS)
    entries["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{shared}</sst>'
    )
    entries.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if "xl/worksheets/sheet1.xml" not in entries:
            with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(_SHEET_HEAD)
                sheet.write(rows() if callable(rows) else rows.encode())
                sheet.write(_SHEET_TAIL)
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def ods(path: Path, tables: str, *, mimetype: str = ODS_MIMETYPE, prolog: str = "") -> Path:
    """An .ods as LibreOffice lays it out; ``tables`` is the body's XML."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
        f'<office:document-content {_ODS_NS} office:version="1.3">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content)
    return path


_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:'
    'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry '
    f'manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/><manifest:file-entry '
    'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def ods_cell(text: str, repeat: int = 1) -> str:
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{times}>'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def ods_row(cells: str, repeat: int = 1) -> str:
    times = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{times}>{cells}</table:table-row>"


def ods_table(rows: str, name: str = "Members") -> str:
    return f'<table:table table:name="{name}">{rows}</table:table>'


ODS_HEADER = ods_row(ods_cell("Name") + ods_cell("Email") + ods_cell("Organisation"))
ODS_ANN = ods_row(ods_cell("Ann Example") + ods_cell("ann@example.org") + ods_cell("Green"))


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def card(name: str = "Ann Example", email: str = "ann@example.org", extra: str = "") -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\n{extra}END:VCARD\r\n"


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


# ---------------------------------------------------------------------------
# The files


def _csv_many_rows(path: Path) -> Path:
    rows = "".join(f"Person {i},p{i}@example.org,Org {i % 7}\r\n" for i in range(150))
    return write(path / "many_rows.csv", HEADER + rows)


def _xlsx_million_rows() -> bytes:
    return b"".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'.encode() for n in range(1, 1_048_577)
    )


def _xlsx_million_empty_rows() -> bytes:
    head = (header_row() + ann_row()).encode()
    return head + b"".join(
        f'<row r="{n}"><c r="A{n}" s="1"/></row>'.encode() for n in range(3, 1_048_577)
    )


def _xlsx_shared_amplified(path: Path) -> Path:
    rows = "".join(
        f'<row r="{n}">'
        + "".join(f'<c r="{c}{n}" t="s"><v>0</v></c>' for c in "ABCDEFGHIJ")
        + "</row>"
        for n in range(1, 100_001)
    )
    return xlsx(path / "shared_amplified.xlsx", rows, shared="<si><t>" + "x" * 20_000 + "</t></si>")


def _xlsx_many_parts(path: Path) -> Path:
    parts: dict[str, str | bytes] = {f"xl/media/p{i}.bin": b"" for i in range(10_001)}
    return xlsx(path / "many_parts.xlsx", header_row() + ann_row(), parts)


def _xlsx_ratio_bomb(path: Path) -> Path:
    return xlsx(
        path / "ratio_bomb.xlsx",
        header_row() + ann_row(),
        {"xl/styles.xml": b"<styleSheet>" + b" " * (50 << 20) + b"</styleSheet>"},
    )


def _truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    return write(target, data[: len(data) // 2])


def _xlsx_deep(path: Path) -> Path:
    deep = "<is>" + "<r>" * 50_000 + "<t>x</t>" + "</r>" * 50_000 + "</is>"
    return xlsx(
        path / "deep.xlsx", header_row() + f'<row r="2"><c r="A2" t="inlineStr">{deep}</c></row>'
    )


def _ods_many_tables(path: Path) -> Path:
    block = "".join(ods_row(ods_cell(f"x{i}", 100)) for i in range(100))
    return ods(path / "many_tables.ods", "".join(ods_table(block, f"T{i}") for i in range(400)))


def _vcf_endless_fold(path: Path) -> Path:
    fold = "NOTE:start\r\n" + " more text to fold into the note\r\n" * 200_000
    return write(path / "endless_fold.vcf", card(extra=fold))


def _vcf_deep_agent(path: Path) -> Path:
    nested = "AGENT:\r\n" + "BEGIN:VCARD\r\nAGENT:\r\n" * 20_000 + "END:VCARD\r\n" * 20_000
    return write(
        path / "deep_agent.vcf", card(extra=nested) + card("Bob Example", "bob@example.net")
    )


def _vcf_many_cards(path: Path) -> Path:
    cards = "".join(card(f"Person {i}", f"p{i}@example.org") for i in range(150))
    return write(path / "many_cards.vcf", cards)


def _vcf_many_problems(path: Path) -> Path:
    return write(path / "many_problems.vcf", card() + "stray line\r\n\r\n" * 200_000)


def _big_line(path: Path, name: str, size: int) -> Path:
    return write(path / name, card(extra="NOTE:" + "x" * size + "\r\n"))


HOSTILE: list[Hostile] = [
    # CSV
    Hostile(
        "csv_nul_bytes",
        lambda d: write(d / "nul.csv", HEADER + "Ann\x00 Example,ann@example.org,Green\r\n"),
        "either",
    ),
    Hostile(
        "csv_huge_single_line",
        lambda d: write(d / "one_line.csv", "Name," + "x" * (20 << 20)),
        "either",
    ),
    Hostile(
        "csv_huge_quoted_cell",
        lambda d: write(
            d / "big_cell.csv", HEADER + '"' + "y" * (8 << 20) + '",a@example.org,Org\r\n'
        ),
        "either",
    ),
    Hostile(
        "csv_million_empty_lines",
        lambda d: write(d / "empty_lines.csv", HEADER + ANN + "\r\n" * 1_000_000),
        "imported",
    ),
    Hostile(
        "csv_million_commas",
        lambda d: write(d / "commas.csv", HEADER + "," * 1_000_000 + "\r\n" + ANN),
        "either",
    ),
    Hostile(
        "csv_double_bom",
        lambda d: write(d / "double_bom.csv", "\ufeff\ufeff" + HEADER + ANN),
        "either",
    ),
    Hostile(
        "csv_utf16_bom_utf8_body",
        lambda d: write(d / "bom16.csv", b"\xff\xfe" + (HEADER + ANN).encode()),
        "either",
    ),
    Hostile("csv_more_rows_than_allowed", _csv_many_rows, "refused", ("--max-rows", "100")),
    Hostile(
        "csv_unclosed_quote",
        lambda d: write(d / "quote.csv", HEADER + '"Ann,ann@example.org,Org\r\n' * 3),
        "either",
    ),
    Hostile(
        "csv_png_named_csv",
        lambda d: write(d / "picture.csv", b"\x89PNG\r\n\x1a\n" + os.urandom(4096)),
        "refused",
    ),
    Hostile(
        "csv_zip_named_csv",
        lambda d: write(d / "zipped.csv", xlsx(d / "z.xlsx", header_row()).read_bytes()),
        "refused",
    ),
    Hostile(
        "csv_only_delimiters", lambda d: write(d / "commas_only.csv", ",,,,\r\n" * 1000), "refused"
    ),
    Hostile("csv_quote_storm", lambda d: write(d / "quotes.csv", '"' * 1_000_001), "either"),
    Hostile("csv_random_bytes", lambda d: write(d / "random.csv", os.urandom(1 << 20)), "refused"),
    # XLSX
    Hostile(
        "xlsx_far_cell",
        lambda d: xlsx(
            d / "far.xlsx",
            header_row() + ann_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        ),
        "refused",
    ),
    Hostile("xlsx_million_rows", lambda d: xlsx(d / "million.xlsx", _xlsx_million_rows), "refused"),
    Hostile(
        "xlsx_million_empty_formatted_rows",
        lambda d: xlsx(d / "empty_rows.xlsx", _xlsx_million_empty_rows),
        "imported",
    ),
    Hostile("xlsx_ratio_bomb", _xlsx_ratio_bomb, "refused"),
    Hostile(
        "xlsx_entity_bomb_sheet",
        lambda d: xlsx(
            d / "laughs.xlsx",
            parts={
                "xl/worksheets/sheet1.xml": LAUGHS.join(
                    _SHEET_HEAD.decode().split("<worksheet", 1)[:1]
                )
                + "<worksheet"
                + _SHEET_HEAD.decode().split("<worksheet", 1)[1]
                + '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
                + _SHEET_TAIL.decode()
            },
        ),
        "refused",
    ),
    Hostile(
        "xlsx_entity_bomb_shared_strings",
        lambda d: xlsx(
            d / "laughs_sst.xlsx",
            header_row(),
            {
                "xl/sharedStrings.xml": '<?xml version="1.0"?>'
                + LAUGHS
                + "<sst><si><t>&lol3;</t></si></sst>"
            },
        ),
        "refused",
    ),
    Hostile(
        "xlsx_truncated_zip",
        lambda d: _truncated(
            xlsx(d / "whole.xlsx", header_row() + ann_row()), d / "truncated.xlsx"
        ),
        "refused",
    ),
    Hostile("xlsx_text_named_xlsx", lambda d: write(d / "text.xlsx", HEADER + ANN), "refused"),
    Hostile("xlsx_shared_string_amplified", _xlsx_shared_amplified, "refused"),
    Hostile(
        "xlsx_huge_inline_cell",
        lambda d: xlsx(
            d / "big_inline.xlsx",
            header_row() + '<row r="2">' + inline("A2", "z" * (8 << 20)) + "</row>",
        ),
        "either",
    ),
    Hostile("xlsx_deep_nesting", _xlsx_deep, "either"),
    Hostile("xlsx_too_many_parts", _xlsx_many_parts, "refused"),
    Hostile(
        "xlsx_ods_inside",
        lambda d: write(
            d / "really_ods.xlsx",
            ods(d / "inner.ods", ods_table(ODS_HEADER + ODS_ANN)).read_bytes(),
        ),
        "refused",
    ),
    Hostile(
        "xlsx_ole_password",
        lambda d: write(d / "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)),
        "refused",
    ),
    Hostile(
        "xlsx_cell_without_references",
        lambda d: xlsx(
            d / "noref.xlsx",
            header_row() + '<row r="1048576">' + "<c><v>1</v></c>" * 16384 + "</row>",
        ),
        "refused",
    ),
    # ODS
    Hostile(
        "ods_rows_repeated_15_columns",
        lambda d: ods(
            d / "rows15.ods",
            ods_table(
                ODS_HEADER + ods_row(ods_cell("ann@example.org") + ods_cell("v", 14), 1_048_575)
            ),
        ),
        "refused",
    ),
    Hostile(
        "ods_rows_repeated_10_columns",
        lambda d: ods(d / "rows10.ods", ods_table(ods_row(ods_cell("v", 10), 1_048_576))),
        "refused",
    ),
    Hostile(
        "ods_columns_repeated",
        lambda d: ods(d / "columns.ods", ods_table(ODS_HEADER + ods_row(ods_cell("w", 16_384)))),
        "refused",
    ),
    Hostile(
        "ods_rows_and_columns_under_each_cap",
        lambda d: ods(d / "both.ods", ods_table(ods_row(ods_cell("w", 900), 9_000))),
        "refused",
    ),
    Hostile(
        "ods_repeated_long_text",
        lambda d: ods(
            d / "long_text.ods", ods_table(ODS_HEADER + ods_row(ods_cell("t" * 100_000, 20), 100))
        ),
        "refused",
    ),
    Hostile(
        "ods_entity_bomb",
        lambda d: ods(d / "laughs.ods", ods_table(ods_row(ods_cell("&lol3;"))), prolog=LAUGHS),
        "refused",
    ),
    Hostile(
        "ods_libreoffice_filler",
        lambda d: ods(
            d / "filler.ods",
            ods_table(
                ODS_HEADER
                + ODS_ANN
                + '<table:table-row table:number-rows-repeated="1048574">'
                + '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            ),
        ),
        "imported",
    ),
    Hostile(
        "ods_wrong_mimetype",
        lambda d: ods(
            d / "mime.ods",
            ods_table(ODS_HEADER + ODS_ANN),
            mimetype="application/vnd.oasis.opendocument.text",
        ),
        "refused",
    ),
    Hostile(
        "ods_truncated_zip",
        lambda d: _truncated(
            ods(d / "whole.ods", ods_table(ODS_HEADER + ODS_ANN * 50)), d / "truncated.ods"
        ),
        "refused",
    ),
    Hostile("ods_many_tables", _ods_many_tables, "refused"),
    # vCard
    Hostile("vcf_endless_folded_line", _vcf_endless_fold, "either"),
    Hostile("vcf_huge_single_line", lambda d: _big_line(d, "big_line.vcf", 20 << 20), "either"),
    Hostile("vcf_deep_agent_nesting", _vcf_deep_agent, "either"),
    Hostile("vcf_more_cards_than_allowed", _vcf_many_cards, "refused", ("--max-rows", "100")),
    Hostile(
        "vcf_nul_bytes", lambda d: write(d / "nul.vcf", card().replace("Ann", "A\x00nn")), "either"
    ),
    Hostile(
        "vcf_no_begin", lambda d: write(d / "nobegin.vcf", "FN:Ann Example\r\n" * 10), "refused"
    ),
    Hostile("vcf_binary", lambda d: write(d / "binary.vcf", os.urandom(1 << 16)), "refused"),
    Hostile(
        "vcf_utf16_broken",
        lambda d: write(
            d / "utf16.vcf", b"\xff\xfe" + card().encode("utf-16-le")[:-1] + b"\x00\xd8" * 5000
        ),
        "either",
    ),
    Hostile(
        "vcf_never_ends",
        lambda d: write(
            d / "never_ends.vcf",
            "BEGIN:VCARD\r\nFN:Ann Example\r\n" + "X-JUNK:" + "j" * 100 + "\r\n" * 1,
        ),
        "either",
    ),
    Hostile("vcf_million_stray_lines", _vcf_many_problems, "either"),
    Hostile(
        "vcf_qp_soft_breaks_forever",
        lambda d: write(
            d / "qp.vcf",
            "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:Ann=\r\n"
            + "=C3=A9=\r\n" * 300_000
            + "END:VCARD\r\n",
        ),
        "either",
    ),
    Hostile(
        "vcf_bom_then_binary",
        lambda d: write(d / "bom_binary.vcf", b"\xef\xbb\xbf" + os.urandom(1 << 16)),
        "refused",
    ),
]


# ---------------------------------------------------------------------------
# Running one import in its own process


def database_checksum(path: Path) -> str:
    """Every row of every table, hashed: equal before and after means nothing changed."""
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            digest.update(table.encode())
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                digest.update(repr(row).encode())
    connection.close()
    return digest.hexdigest()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def run_import(file: Path, database: Path, *args: str, timeout: float = 60) -> Outcome:
    """``coalition import FILE`` in a child process, with its own time and peak RSS
    (``os.wait4`` gives the resources of exactly that child)."""
    # A child's peak RSS starts from its parent's at fork (the parent here may hold a large
    # file it has just built), so a small launcher process starts the import and reports
    # the peak of its own child.
    command = [sys.executable, "-c", _LAUNCHER, "--db", str(database), "import", str(file), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said = err.read().decode(errors="replace")
        peak, _, said = said.partition("\n")
        return Outcome(
            child.returncode,
            out.read().decode(errors="replace"),
            said,
            seconds,
            int(peak) / 1024 if peak.isdigit() else usage.ru_maxrss / 1024,
        )


_LAUNCHER = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "coalition", *sys.argv[1:]], capture_output=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"{peak}\\n" + done.stderr.decode(errors="replace"))
sys.stdout.write(done.stdout.decode(errors="replace"))
sys.exit(done.returncode)
"""
