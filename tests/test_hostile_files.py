"""Files that try to exhaust memory or time, or to break a reader (issue 16, item 3).

The table of hostile files lives in ``tests/hostile.py`` (shared with
``benchmarks/hostile_bench.py``, which prints each file's time and peak memory). Each
is imported by ``coalition import`` in its own process: a clean refusal (exit 1, one
sentence, the database unchanged) or a correct import, never a traceback, and never
more than 300 MiB. Then the findings one by one, and Hypothesis feeding the vCard
reader and the address parser random input.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.domain.values import parse_pasted_addresses
from coalition.errors import CoalitionError, FileProblem
from coalition.interchange import tabular
from coalition.interchange.tabular import open_table
from coalition.interchange.vcard import VCardReader, read_vcards
from tests.conftest import fails, ok
from tests.hostile import (
    HOSTILE,
    ODS_HEADER,
    Hostile,
    card,
    database_checksum,
    header_row,
    ods,
    ods_cell,
    ods_row,
    ods_table,
    run_import,
    xlsx,
)

PEAK_MIB = 300


@pytest.mark.parametrize("item", HOSTILE, ids=[h.name for h in HOSTILE])
def test_each_hostile_file(item: Hostile, tmp_path: Path, db_path: Path) -> None:
    assert len(HOSTILE) >= 40
    file = item.build(tmp_path)
    before = database_checksum(db_path)
    outcome = run_import(file, db_path, *item.args)
    said = outcome.stderr.strip()
    assert "Traceback" not in said + outcome.stdout, said
    assert outcome.code in (0, 1), (outcome.code, said)
    assert outcome.peak_mib < PEAK_MIB, f"{outcome.peak_mib:.0f} MiB"
    assert outcome.seconds < 30, f"{outcome.seconds:.1f} s"  # the benchmark holds 5 s
    if outcome.code == 1:
        assert item.expect != "imported", said
        lines = said.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), said
        assert lines[0].endswith("."), said
        assert database_checksum(db_path) == before
    else:
        assert item.expect != "refused", outcome.stdout
        assert "Imported" in outcome.stdout + said


# ---------------------------------------------------------------------------
# The findings, one by one


def _timed_refusal(path: Path, **options: object) -> tuple[str, float]:
    start = time.perf_counter()
    with pytest.raises(FileProblem) as refused:
        open_table(path, **options)  # type: ignore[arg-type]
    return str(refused.value), time.perf_counter() - start


def test_ods_repeated_rows_of_fifteen_columns_are_refused_at_once(tmp_path: Path) -> None:
    # the 913-byte file that took 2.2 GB and 20 s: one row of 15 cells, repeated 1,048,575 times
    row = ods_cell("ann@example.org") + ods_cell("v", 14)
    path = ods(tmp_path / "bomb.ods", ods_table(ODS_HEADER + ods_row(row, 1_048_575)))
    assert path.stat().st_size < 1000
    message, seconds = _timed_refusal(path)
    assert seconds < 2
    assert "sheet 'Members' repeats row 2 1,048,575 times" in message


def test_ods_repeated_rows_of_ten_columns_are_refused(tmp_path: Path) -> None:
    # the 844-byte one (1.4 GB): 10 repeated cells in a row repeated to the sheet's end
    path = ods(tmp_path / "bomb.ods", ods_table(ods_row(ods_cell("v", 10), 1_048_576)))
    message, seconds = _timed_refusal(path)
    assert seconds < 2
    assert "repeats row 1 1,048,576 times" in message


def test_ods_repeats_that_stay_under_each_cap_still_cannot_multiply_text(tmp_path: Path) -> None:
    long_row = ods_row(ods_cell("t" * 100_000, 20), 100)  # 2,000 cells of 100 kB each
    path = ods(tmp_path / "text.ods", ods_table(ODS_HEADER + long_row))
    message, seconds = _timed_refusal(path)
    assert seconds < 2
    assert "repeats the cells of row 2 into more than 128 MiB of text" in message


def test_ods_tables_are_counted_together(tmp_path: Path) -> None:
    # calamine loads every table of an .ods at once: 4 million cells in all
    block = "".join(ods_row(ods_cell(f"x{i}", 100)) for i in range(100))
    path = ods(tmp_path / "tables.ods", "".join(ods_table(block, f"T{i}") for i in range(400)))
    message, _ = _timed_refusal(path)
    assert "its sheets hold more than the 3,000,000 cells" in message


def test_xlsx_of_a_million_rows_is_refused_before_it_is_loaded(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 1_048_577))
    path = xlsx(tmp_path / "million.xlsx", rows)
    message, seconds = _timed_refusal(path, max_rows=tabular.DEFAULT_MAX_ROWS)
    assert "has values in 1,048,576 rows, more than the 1,000,000 rows" in message
    assert "--max-rows" in message
    assert seconds < 10  # a zip scan; calamine would take 1.5 GB and 44 s


def test_xlsx_shared_string_used_by_many_cells_is_refused(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{c}{n}" t="s"><v>0</v></c>' for c in "ABCDE") + "</row>"
        for n in range(1, 20_001)
    )
    path = xlsx(tmp_path / "copies.xlsx", rows, shared="<si><t>" + "x" * 5_000 + "</t></si>")
    message, _ = _timed_refusal(path)
    assert "repeats its shared texts into more than 128 MiB" in message


def test_max_rows_counts_rows_of_data_not_the_header(tmp_path: Path) -> None:
    rows = header_row() + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>P{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>p{n}@example.org</t></is></c></row>'
        for n in range(2, 12)
    )
    path = xlsx(tmp_path / "ten.xlsx", rows)
    assert len(list(open_table(path, max_rows=10).rows())) == 10
    message, _ = _timed_refusal(path, max_rows=9)  # counted in the zip scan, not loaded
    assert "has values in 11 rows, more than the 9 rows of data" in message


def test_csv_past_max_rows_is_refused_and_nothing_is_written(
    tmp_path: Path, db_path: Path, run: object
) -> None:
    path = tmp_path / "people.csv"
    lines = [f"Person {i},p{i}@example.org" for i in range(30)]
    path.write_text("Name,Email\n" + "\n".join(lines) + "\n", encoding="utf-8")
    before = database_checksum(db_path)
    message = fails(run("import", str(path), "--max-rows", "20"))  # type: ignore[operator]
    assert "more than 20 rows of data (row 22 is one too many)" in message
    assert database_checksum(db_path) == before
    ok(run("import", str(path), "--max-rows", "30"))  # type: ignore[operator]


def test_vcards_past_max_rows_are_refused(tmp_path: Path, run: object) -> None:
    path = tmp_path / "cards.vcf"
    path.write_text("".join(card(f"P {i}", f"p{i}@example.org") for i in range(12)))
    message = fails(run("import", str(path), "--max-rows", "10"))  # type: ignore[operator]
    assert "holds more than 10 cards (card 11, line 51, is one too many)" in message


def _reading_peak(path: Path, cards: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        for i in range(cards):
            handle.write(card(f"Person {i}", f"p{i}@example.org", f"NOTE:card {i}\r\n"))
    tracemalloc.start()
    try:
        count = 0
        for record in VCardReader(path):
            assert record.formatted_name == f"Person {count}"
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == cards
    return peak


def test_vcards_are_read_one_at_a_time(tmp_path: Path) -> None:
    # 100,000 cards took 687 MB: the file, every line and every card were held at once;
    # now reading costs a few chunks of the file, whatever its size (2.5 MB at 16,000
    # cards, 64,000 alike)
    path = tmp_path / "cards.vcf"
    peak = _reading_peak(path, 24_000)
    assert peak < 4 << 20, peak
    assert peak < path.stat().st_size * 1.5, (peak, path.stat().st_size)


def test_vcard_with_an_endless_folded_note_keeps_the_card(tmp_path: Path) -> None:
    fold = "NOTE:start\r\n" + " and more\r\n" * 300_000
    path = tmp_path / "fold.vcf"
    path.write_text(card(extra=fold) + card("Bob Example", "bob@example.net"))
    result = read_vcards(path)
    assert [c.formatted_name for c in result.cards] == ["Ann Example", "Bob Example"]
    assert result.cards[0].note == ""
    assert any("longer than 1 MiB and was skipped" in p.message for p in result.problems)


def test_vcard_problems_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "noisy.vcf"
    body = "".join(card(f"P {i}", f"p{i}@example.org", "not a property\r\n") for i in range(10_050))
    path.write_text(body)
    result = read_vcards(path)
    assert len(result.cards) == 10_050
    assert len(result.problems) == 10_001
    assert "… and 50 more problems like these" in result.problems[-1].message


def test_the_database_is_unchanged_by_a_refused_bomb(tmp_path: Path, db_path: Path) -> None:
    before = database_checksum(db_path)
    path = ods(tmp_path / "bomb.ods", ods_table(ods_row(ods_cell("v", 15), 1_048_576)))
    outcome = run_import(path, db_path)
    assert outcome.code == 1 and "Traceback" not in outcome.stderr
    assert database_checksum(db_path) == before
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)


# ---------------------------------------------------------------------------
# Random input: only the project's own errors may come out


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_VCARD_WORDS = st.sampled_from(
    [
        "BEGIN:VCARD", "END:VCARD", "VERSION:2.1", "FN:", "N:", "EMAIL;TYPE=work:", "ADR:;;",
        "ORG:", "TEL:", "NOTE;ENCODING=QUOTED-PRINTABLE:", "PHOTO;ENCODING=b:", "AGENT:",
        "item1.", "X-ABLabel:", ";CHARSET=", "=C3=", "\r\n", "\n", "\r", " ", "\t", "=",
        ";", ":", ",", "\\", '"', "\x00", "\ufeff", "é", "Ж",
    ]
)  # fmt: skip


@_SETTINGS
@given(st.binary(max_size=2048))
def test_vcard_reader_takes_any_bytes(data: bytes) -> None:
    with contextlib.suppress(CoalitionError):
        read_vcards(data)


@_SETTINGS
@given(st.lists(st.one_of(_VCARD_WORDS, st.text(max_size=12)), max_size=80))
def test_vcard_reader_takes_any_text_that_looks_like_vcards(words: list[str]) -> None:
    text = "".join(words)
    for encoding in ("utf-8", "utf-16"):
        with contextlib.suppress(CoalitionError):
            read_vcards(text.encode(encoding, errors="surrogatepass"))


@_SETTINGS
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(["<", ">", "@", '"', ",", ";", ":::", "mailto:", "\n", "(", ")"]),
            st.just("ann@example.org"),
        ),
        max_size=30,
    )
)
def test_address_parser_takes_any_text(pieces: list[str]) -> None:
    with contextlib.suppress(CoalitionError):
        parse_pasted_addresses("".join(pieces))
