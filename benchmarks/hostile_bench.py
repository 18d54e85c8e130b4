"""Time and peak memory of ``coalition import`` for every hostile file of the test table.

The files come from ``tests/hostile.py`` (the same builders ``tests/test_hostile_files.py``
uses); each import runs in its own process against a fresh database, so its peak RSS is
its own. Every line must stay under 300 MiB and 5 s, and end in a clean refusal (exit 1,
one sentence) or an import: the last column says which, and the summary counts
tracebacks (there must be none).

    python benchmarks/hostile_bench.py [--only NAME] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coalition.store.database import open_database
from tests.hostile import HOSTILE, run_import

LIMIT_MIB, LIMIT_S = 300, 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the files whose name holds this text")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    over = tracebacks = 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        template = Path(scratch) / "template.db"
        open_database(template).close()
        print(f"{'file':<40} {'size':>10} {'time':>7} {'peak':>9}  outcome")
        for item in HOSTILE:
            if args.only and args.only not in item.name:
                continue
            place = folder / item.name
            place.mkdir(exist_ok=True)
            file = item.build(place)
            database = place / "coalition.db"
            shutil.copyfile(template, database)
            outcome = run_import(file, database, *item.args)
            said = (outcome.stderr.strip() or outcome.stdout.strip()).splitlines()
            verdict = "refused" if outcome.code == 1 else f"exit {outcome.code}"
            if "Traceback" in outcome.stderr:
                tracebacks += 1
                verdict = "TRACEBACK"
            flag = ""
            if outcome.peak_mib > LIMIT_MIB or outcome.seconds > LIMIT_S:
                over += 1
                flag = "  OVER"
            print(
                f"{item.name:<40} {file.stat().st_size:>10,} {outcome.seconds:>6.2f}s "
                f"{outcome.peak_mib:>6.0f} MiB  {verdict}: {(said[-1] if said else '')[:90]}{flag}"
            )
    print(f"{over} over {LIMIT_MIB} MiB or {LIMIT_S:g} s; {tracebacks} tracebacks")


if __name__ == "__main__":
    main()
