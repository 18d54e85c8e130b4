"""Time and peak memory of reading a large .ods: python-calamine against the streamed reader.

The file is the member list of ``import_bench.make_rows`` (14 columns) written as an .ods
by ``tests/hostile.py``'s builder, or one given with ``--file``. Each reader runs in its
own process, so each peak RSS is its own: calamine loads the sheet and yields every row;
the streamed reader (``coalition.interchange.ods``) yields them from the file, once by its
fast paths and once by expat alone; ``open_table`` is what an import does before it reads
a row (the guard's scan, then the header), and ``open_table + rows`` an import's reading.
Every row's cells go through ``tabular._texts`` in each case.

    python benchmarks/ods_reader_bench.py [--rows 140000] [--file FILE.ods]
"""

from __future__ import annotations

import argparse
import html
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_RUN = textwrap.dedent(
    """
    import resource, sys, time
    from pathlib import Path
    from coalition.interchange import tabular
    path, way = Path(sys.argv[1]), sys.argv[2]
    start = time.perf_counter()
    count = 0
    if way == "calamine":
        from python_calamine import CalamineWorkbook
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sys.argv[3])
        for raw in grid.iter_rows():
            tabular._texts(raw)
            count += 1
    elif way in ("streamed", "expat only"):
        from coalition.interchange.ods import OdsTable
        table = OdsTable(path, sys.argv[3], lambda: tabular._ods_content(path))
        for _, raw in table.rows(plain=way == "streamed"):
            tabular._texts(raw)
            count += 1
    else:
        table = tabular.open_table(path)
        if way == "open_table + rows":
            count = sum(1 for _ in table.rows())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(count, round(seconds, 2), round(peak, 1))
    """
)

WAYS = ("calamine", "streamed", "expat only", "open_table", "open_table + rows")


def build(path: Path, rows: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from import_bench import HEADERS, make_rows

    from tests.hostile import ods, ods_cell, ods_row, ods_table

    lines = [HEADERS, *make_rows(rows)]
    body = "".join(ods_row("".join(ods_cell(html.escape(c)) for c in r)) for r in lines)
    ods(path, ods_table(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=140_000)
    parser.add_argument("--file", type=Path, help="an .ods to read instead of building one")
    parser.add_argument("--sheet", default="Members")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.file or Path(scratch) / f"members_{args.rows}.ods"
        if args.file is None:
            build(path, args.rows)
        size = path.stat().st_size / (1 << 20)
        print(f"{path.name}: {size:.1f} MiB")
        print(f"{'reader':<20} {'rows':>8} {'time':>8} {'peak RSS':>10}")
        for way in WAYS:
            done = subprocess.run(
                [sys.executable, "-c", _RUN, str(path), way, args.sheet],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                print(f"{way:<20} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            count, seconds, peak = done.stdout.split()
            print(f"{way:<20} {count:>8} {seconds:>7}s {peak:>7} MiB")


if __name__ == "__main__":
    main()
