"""Cells never become spreadsheet formulas; odd search input never breaks a query."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.interchange.safety import cell_starts, safe_text
from coalition.store import search

DANGEROUS = [
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "  =1",
    "\u00a0=1",
    'Notes\n=HYPERLINK("http://example.org","x")',
    '=HYPERLINK("http://example.org","click")',
]
HARMLESS = [
    "+32 2 555 01 01",
    "-12.5",
    "+1 (201) 555-0123",
    "Émilie Müller",
    "a=b",
    "x@example.org",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_triggers_are_neutralised(value: str) -> None:
    cleaned = safe_text(value)
    for line in cleaned.split("\n"):
        assert not line.lstrip(" \u00a0").startswith(("=", "+", "-", "@"))
        assert not line.startswith(("\t", "\r"))


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_values_pass_unchanged(value: str) -> None:
    assert safe_text(value) == value


@given(st.text())
def test_no_output_line_can_start_a_formula(value: str) -> None:
    for line in safe_text(value).split("\n"):
        stripped = line.lstrip(" \u00a0\u2007\u202f\ufeff")
        if stripped.startswith(("=", "@")):
            raise AssertionError(repr(line))
        if stripped.startswith(("+", "-")):
            assert all(ch in "0123456789 ().,/+-\u00a0" for ch in stripped.strip())


CELLS = st.lists(
    st.one_of(
        st.text(),
        st.sampled_from(DANGEROUS + HARMLESS),
        st.text(alphabet=" \u00a0\u2007\u202f\ufeff\t\r\n=+-@0\x00a", max_size=6),
    ),
    max_size=6,
)


@given(CELLS, st.sampled_from([",", ";", "\t", " ", "-", "\x00"]))
def test_a_line_the_pattern_passes_needs_no_cell_changed(cells: list[str], sep: str) -> None:
    """What a writer passes through on one search per line, safe_text leaves alone."""
    line = sep.join(cells)
    if (
        line.count(sep) == len(cells) - 1
        and "\n" not in line
        and cell_starts(sep).search(sep + line) is None
    ):
        assert [safe_text(c) for c in cells] == cells


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only use
@given(st.text(max_size=40))
def test_any_typed_text_is_a_valid_search(session: Any, value: str) -> None:
    search.search_contacts(session, value, limit=5)
    search.search_organisations(session, value, limit=5)
