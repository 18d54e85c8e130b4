"""Time and peak memory of reading an .xlsx sheet: calamine whole against the streamed reader.

Four files of 14 columns (``import_bench``'s people): 100,000 and 210,000 rows, each
written twice, with inline strings (as openpyxl and import_bench write them) and with
shared strings (as Excel and LibreOffice write them). For each, in a process of its own:

- ``calamine``: ``CalamineWorkbook.get_sheet_by_name`` and ``iter_rows`` (the load and
  iterate that imports did before), every row's cells made text (``tabular._texts``);
- ``streamed``: ``interchange/xlsx.py``'s rows from the zip, made text the same way;
- ``table``: ``open_table`` and ``Table.rows()`` as an import reads them (the zip guard's
  scans, the header look-ahead and the streamed rows).

Then a whole ``coalition import`` of the 210,000-row file (the target: under 300 MiB).
Peak RSS is the process's high-water mark (VmHWM), less the same process before reading.

    python benchmarks/xlsx_reader_bench.py [--rows 100000,210000] [--dir DIR] [--no-import]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

_READ = r"""
import sys, time
from pathlib import Path
from coalition.interchange import tabular
import python_calamine

def peak():
    with open("/proc/self/status") as status:
        return int(next(x for x in status if x.startswith("VmHWM:")).split()[1]) / 1024

path, how = Path(sys.argv[1]), sys.argv[2]
base = peak()
start = time.perf_counter()
cpu = time.process_time()
cells = 0
if how == "table":
    for row in tabular.open_table(path).rows():
        cells += len(row.values)
else:
    with tabular._SafeZip(path, "xlsx") as zf:
        sheet = tabular._xlsx_sheets(zf)[0]
        source = tabular._xlsx_sheet(zf, sheet)
    grid = tabular._load_grid(path, sheet, "xlsx") if how == "calamine" else source
    for _, raw in tabular._grid_iter(grid, path):
        cells += len(tabular._texts(raw))
print(f"{time.perf_counter() - start:.2f} {time.process_time() - cpu:.2f} {peak() - base:.0f} {cells}")
"""


def build(folder: Path, rows: int, shared: bool) -> Path:
    path = folder / f"members_{rows // 1000}k_{'shared' if shared else 'inline'}.xlsx"
    if path.exists():
        return path
    from import_bench import HEADERS, make_rows, write_xlsx

    data = make_rows(rows)
    if not shared:
        write_xlsx(path, data)
        return path
    _write_shared(path, [HEADERS, *data])
    return path


def _write_shared(path: Path, rows: list[list[str]]) -> None:
    """As Excel and LibreOffice write a sheet: every text once in sharedStrings.xml, the
    cells pointing to it (openpyxl 3.1 writes inline strings in either mode)."""
    import zipfile
    from xml.sax.saxutils import escape

    from tests.hostile import _SHEET_HEAD, _SHEET_TAIL, _XLSX_PARTS

    index: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _XLSX_PARTS.items():
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD)
            for number, row in enumerate(rows, start=1):
                cells = []
                for column, text in enumerate(row):
                    if text:
                        at = index.setdefault(text, len(index))
                        cells.append(f'<c r="{chr(65 + column)}{number}" t="s"><v>{at}</v></c>')
                sheet.write(f'<row r="{number}">{"".join(cells)}</row>'.encode())
            sheet.write(_SHEET_TAIL)
        with archive.open("xl/sharedStrings.xml", "w") as shared:
            shared.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main">'
            )
            for text in index:
                shared.write(f"<si><t>{escape(text)}</t></si>".encode())
            shared.write(b"</sst>")


def read(path: Path, how: str) -> tuple[float, float, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path), how],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    wall, cpu, peak, _ = done.stdout.split()
    return float(wall), float(cpu), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100000,210000")
    parser.add_argument("--dir", type=Path, help="keep the generated files here")
    parser.add_argument("--no-import", action="store_true")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="xlsx_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'file':<28} {'reader':<9} {'wall':>7} {'cpu':>7} {'peak':>9}  vs calamine")
    biggest = None
    for rows in (int(n) for n in args.rows.split(",")):
        for shared in (False, True):
            path = build(folder, rows, shared)
            biggest = path if not shared else biggest
            base = None
            for how in ("calamine", "streamed", "table"):
                wall, cpu, peak = read(path, how)
                base = base or cpu
                print(
                    f"{path.name:<28} {how:<9} {wall:>6.2f}s {cpu:>6.2f}s {peak:>6.0f} MiB"
                    f"  {cpu / base:.2f}×"
                )
    if not args.no_import and biggest is not None:
        from coalition.store.database import open_database
        from tests.hostile import run_import

        with tempfile.TemporaryDirectory() as scratch:
            database = Path(scratch) / "coalition.db"
            open_database(database).close()
            for engine in ("stream", "calamine"):
                os.environ["COALITION_XLSX_READER"] = engine
                fresh = Path(scratch) / f"{engine}.db"
                shutil.copyfile(database, fresh)
                outcome = run_import(biggest, fresh, timeout=900)
                print(
                    f"coalition import {biggest.name} ({engine}): exit {outcome.code}, "
                    f"{outcome.seconds:.1f} s, peak {outcome.peak_mib:.0f} MiB"
                )
    if args.dir is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
