"""The published signatory list: the signing date, a link to each website, and JSON for a
web page to draw."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from coalition.domain import campaigns, people
from tests.conftest import ok


@pytest.fixture
def published(unit: Any, db: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027", link="https://example.org/s")
        for name, country, website in (
            ("Alpha Kids", "BE", "alpha.example.org"),
            ("Beta Jeunesse", "FR", None),
            ("Gamma <b>Enfance</b>", "FR", "https://gamma.example.net/about?x=1&y=2"),
        ):
            people.add_organisation(w, name=name, country=country, kind="ngo", website=website)
            campaigns.set_signon(w, name, "kids-2027", "signed")
    with db.session() as s:  # each signed on a day of its own
        for day, org in (("2026-11-05", 1), ("2026-11-12", 2), ("2026-11-20", 3)):
            s.execute(
                text(
                    "UPDATE signon_events SET at = :at WHERE to_status = 'signed' AND signon_id = "
                    "(SELECT id FROM signons WHERE organisation_id = :org)"
                ),
                {"at": f"{day} 10:00:00.000000", "org": org},
            )


def test_json_for_a_web_page(published: None, run: Any, tmp_path: Path) -> None:
    out = tmp_path / "signatories.json"
    ok(run("export", "signatories", "kids-2027", str(out), "--group-by", "country"))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["campaign"], data["link"], data["total"]) == (
        "kids-2027",
        "https://example.org/s",
        3,
    )
    assert data["as_of"] == dt.date.today().isoformat()
    [belgium, france] = data["groups"]
    assert belgium["label"] == "Belgium"
    assert belgium["signatories"] == [
        {"name": "Alpha Kids", "country": "BE", "country_name": "Belgium", "kind": "ngo",
         "signed_on": "2026-11-05", "website": "https://alpha.example.org"}
    ]  # fmt: skip
    assert [(s["name"], s["signed_on"], s["website"]) for s in france["signatories"]] == [
        ("Beta Jeunesse", "2026-11-12", None),
        ("Gamma <b>Enfance</b>", "2026-11-20", "https://gamma.example.net/about?x=1&y=2"),
    ]


def test_sheets_carry_the_signing_date_and_website(
    published: None, run: Any, tmp_path: Path
) -> None:
    sheet = tmp_path / "signatories.csv"
    ok(run("export", "signatories", "kids-2027", str(sheet)))
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["Signatory"], r["Signed on"], r["Website"]) for r in rows] == [
        ("Alpha Kids", "2026-11-05", "https://alpha.example.org"),
        ("Beta Jeunesse", "2026-11-12", ""),
        ("Gamma <b>Enfance</b>", "2026-11-20", "https://gamma.example.net/about?x=1&y=2"),
    ]
    book = tmp_path / "signatories.xlsx"
    ok(run("export", "signatories", "kids-2027", str(book)))
    first = [c.value for c in next(load_workbook(book).active.iter_rows(min_row=2, max_row=2))]
    assert first[0] == "Alpha Kids" and first[3] == "https://alpha.example.org"
    assert first[2] in (dt.datetime(2026, 11, 5), dt.date(2026, 11, 5), "2026-11-05")


def test_the_page_links_each_name_to_its_website_and_nothing_else(
    published: None, unit: Any, db: Any, run: Any, tmp_path: Path
) -> None:
    with unit() as w:
        people.add_organisation(w, name="Delta Jugend", country="DE")
        campaigns.set_signon(w, "Delta Jugend", "kids-2027", "signed")
    with db.session() as s:  # refused when typed; a database from elsewhere may hold one
        s.execute(text("UPDATE organisations SET website = 'javascript:alert(1)' WHERE id = 4"))
    page_path = tmp_path / "signatories.html"
    ok(run("export", "signatories", "kids-2027", str(page_path)))
    page = page_path.read_text(encoding="utf-8")
    assert '<a href="https://alpha.example.org" rel="nofollow noopener">Alpha Kids</a>' in page
    assert (
        '<a href="https://gamma.example.net/about?x=1&amp;y=2" rel="nofollow noopener">'
        "Gamma &lt;b&gt;Enfance&lt;/b&gt;</a>"
    ) in page
    assert "<li>Beta Jeunesse</li>" in page
    assert "javascript:" not in page and "<li>Delta Jugend</li>" in page
