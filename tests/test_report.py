"""``coalition report CAMPAIGN``: a campaign's progress as the coordinators report it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from sqlalchemy import text

from coalition.domain import campaigns, outreach, people, reports
from tests.conftest import fails, ok

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 12, 0)

# organisation: (country, kind, owner, [(status, day of that move)])
HISTORY: dict[str, tuple[str, str, str | None, list[tuple[str, str]]]] = {
    "Alpha Kids": ("BE", "ngo", "alice", [("invited", "2026-11-02"), ("signed", "2026-11-05")]),
    "Beta Jeunesse": ("BE", "foundation", "bob",
                      [("invited", "2026-11-02"), ("declined", "2026-11-12")]),
    "Gamma Enfance": ("FR", "ngo", "alice",
                      [("invited", "2026-11-03"), ("considering", "2026-11-04")]),
    "Delta Jugend": ("DE", "ngo", None, [("invited", "2026-11-09")]),
    "Epsilon Jeunes": ("FR", "ngo", "bob", [("prospect", "2026-11-01")]),
    "Zeta Famille": ("FR", "network", "alice", [("signed", "2026-11-16")]),
}  # fmt: skip


@pytest.fixture
def campaign_history(unit: Any, db: Any) -> None:
    """Six organisations through a campaign, each move dated as it happened."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027", target=10, state="open")
        for name, (country, kind, owner, moves) in HISTORY.items():
            people.add_organisation(w, name=name, country=country, kind=kind, owner=owner)
            for status, _ in moves:
                campaigns.set_signon(w, name, "kids-2027", status)
        people.add_contact(
            w,
            given_name="Chloé",
            family_name="Exemple",
            emails=["chloe@example.org"],
            organisation="Gamma Enfance",
        )
        outreach.log_interaction(
            w,
            contact="chloe@example.org",
            subject="Question on the text",
            campaign="kids-2027",
            occurred_at=dt.datetime(2026, 11, 20, 10, 0),
            close_followups=False,
        )
    with db.session() as s:
        for name, (*_, moves) in HISTORY.items():
            for status, day in moves:
                s.execute(
                    text(
                        "UPDATE signon_events SET at = :at WHERE to_status = :status AND "
                        "signon_id = (SELECT s.id FROM signons s JOIN organisations o "
                        "ON o.id = s.organisation_id WHERE o.name = :name)"
                    ),
                    {"at": f"{day} 09:00:00.000000", "status": status, "name": name},
                )


def test_the_report_counts_rates_weeks_and_the_quiet(campaign_history: None, db: Any) -> None:
    with db.read_session() as s:
        report = reports.campaign_report(s, "kids-2027", today=TODAY, now=NOW)
    overall = report.overall
    assert overall.counts == {"prospect": 1, "invited": 1, "considering": 1, "signed": 2,
                              "declined": 1, "withdrawn": 0}  # fmt: skip
    assert (overall.total, overall.asked, overall.answered) == (6, 5, 3)
    assert overall.response_rate == pytest.approx(0.6)
    # Alpha answered in 3 days, Beta in 10; Zeta signed without an invitation.
    assert overall.median_days_to_answer == 6.5
    # From the week of the first signature to this one, quiet weeks included.
    assert [(w.starts, w.signatures, w.total) for w in report.weeks] == [
        (dt.date(2026, 11, 2), 1, 1),
        (dt.date(2026, 11, 9), 0, 1),
        (dt.date(2026, 11, 16), 1, 2),
        (dt.date(2026, 11, 23), 0, 2),
        (dt.date(2026, 11, 30), 0, 2),
        (dt.date(2026, 12, 7), 0, 2),
    ]
    # Delta: invited on 9 November, nothing since. Gamma: considering since 4 November,
    # then a question from its person on the 20th. As the campaign screen counts them.
    assert [(q.name, q.quiet_since.date(), q.days) for q in report.quiet] == [
        ("Delta Jugend", dt.date(2026, 11, 9), 28),
        ("Gamma Enfance", dt.date(2026, 11, 20), 17),
    ]
    assert report.quiet[1].last_contact == dt.datetime(2026, 11, 20, 10, 0)
    assert report.quiet_total == 2 and report.groups == []


@pytest.mark.parametrize(("by", "expected"), [
    ("country", [("FR France", 3, 1), ("BE Belgium", 2, 1), ("DE Germany", 1, 0)]),
    ("kind", [("ngo", 4, 1), ("foundation", 1, 0), ("network", 1, 1)]),
    ("coordinator", [("alice", 3, 2), ("bob", 2, 0), ("(none)", 1, 0)]),
])  # fmt: skip
def test_the_report_by_country_kind_and_coordinator(
    campaign_history: None, db: Any, by: str, expected: list[tuple[str, int, int]]
) -> None:
    with db.read_session() as s:
        report = reports.campaign_report(s, "kids-2027", by=by, today=TODAY, now=NOW)
    assert [(g.group, g.total, g.counts["signed"]) for g in report.groups] == expected
    assert sum(g.total for g in report.groups) == report.overall.total


def test_the_command_prints_json_csv_and_a_table_that_fits(
    campaign_history: None, run: Any
) -> None:
    data = json.loads(ok(run("report", "kids-2027", "--format", "json")).stdout)
    assert data["overall"]["counts"]["signed"] == 2
    assert data["overall"]["response_rate"] == pytest.approx(0.6)
    assert data["quiet"][0]["name"] == "Delta Jugend"
    assert [(w["starts"], w["signatures"], w["total"]) for w in data["weeks"]][:3] == [
        ("2026-11-02", 1, 1),
        ("2026-11-09", 0, 1),
        ("2026-11-16", 1, 2),
    ]

    rows = list(csv.DictReader(io.StringIO(ok(run("report", "kids-2027", "--by", "country",
                                                  "--format", "csv")).stdout)))  # fmt: skip
    assert [(r["group"], r["orgs"], r["signed"], r["answered"]) for r in rows] == [
        ("all", "6", "2", "60%"),
        ("FR France", "3", "1", "50%"),
        ("BE Belgium", "2", "1", "100%"),
        ("DE Germany", "1", "0", "0%"),
    ]

    shown = " ".join(ok(run("report", "kids-2027", "--by", "coordinator")).stdout.split())
    assert (
        "2 signed of a target of 10; 6 organisations in the campaign, 1 not asked yet, 5 asked"
        in shown
    )
    assert "Signatures per week" in shown and "No answer longest" in shown
    assert "Delta Jugend" in shown


def test_an_unknown_campaign_or_grouping_is_one_sentence(campaign_history: None, run: Any) -> None:
    assert "There is no campaign 'nope'" in fails(run("report", "nope"))
    result = run("report", "kids-2027", "--by", "planet")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_campaign_without_sign_ons_reports_zeros(unit: Any, run: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "empty-2027", name="Nobody yet")
    shown = " ".join(ok(run("report", "empty-2027")).stdout.split())
    assert (
        "0 signed; 0 organisations in the campaign, 0 not asked yet, 0 asked, 0 answered." in shown
    )
    data = json.loads(ok(run("report", "empty-2027", "--format", "json")).stdout)
    assert data["overall"]["response_rate"] is None and data["weeks"] == []
