"""The campaign pipeline as the terminal app reads it: stages, moves, sign-ons over time, quiet."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from coalition.domain import campaigns, outreach, people, pipeline
from coalition.domain.audit import history
from coalition.errors import CoalitionError, InvalidTransition
from coalition.store.database import Database
from coalition.store.models import SignOn, SignOnEvent, utcnow

CODE = "climate-2026"


@pytest.fixture
def campaign(unit: Any) -> int:
    """A campaign with 25 prospects, 3 invited, 2 considering, 4 signed and 1 declined."""
    with unit() as w:
        view = campaigns.add_campaign(w, CODE, name="Open letter", target=20, state="open")
        for i in range(35):
            people.add_organisation(w, name=f"Verein Beispiel {i:02d}", country="DE")
        plan = ["prospect"] * 25 + ["invited"] * 3 + ["considering"] * 2
        plan += ["signed"] * 4 + ["declined"]
        for i, status in enumerate(plan):
            campaigns.set_signon(w, f"Verein Beispiel {i:02d}", CODE, status)
    return view.id


def status_of(db: Database, name: str) -> str:
    with db.read_session() as s:
        return next(v.status for v in pipeline.list_signons(s, CODE) if v.organisation == name)


def test_stages_count_every_status_and_hold_only_the_first_cards(
    campaign: int, session: Any
) -> None:
    seen = pipeline.pipeline(session, CODE, limit=10)
    assert [s.status for s in seen.stages] == list(campaigns.PIPELINE)
    assert {s.status: s.total for s in seen.stages} == {
        "prospect": 25,
        "invited": 3,
        "considering": 2,
        "signed": 4,
        "declined": 1,
        "withdrawn": 0,
    }
    prospects = seen.stage("prospect")
    assert len(prospects.cards) == 10
    assert [c.name for c in prospects.cards[:2]] == ["Verein Beispiel 00", "Verein Beispiel 01"]
    assert prospects.next_status == "invited"
    assert seen.stage("signed").next_status is None
    assert seen.stage("signed").moves == ("withdrawn",)
    assert seen.signed == 4 and seen.campaign.target == 20 and seen.total == 35
    # The rest of a stage comes a page at a time, in the same order.
    rest = pipeline.stage_cards(session, campaign, "prospect", offset=10, limit=100)
    assert len(rest) == 15
    assert rest[0].name == "Verein Beispiel 10" and rest[-1].name == "Verein Beispiel 24"


def test_one_key_move_goes_through_the_pipeline_rules_and_the_audit_log(
    campaign: int, unit: Any, db: Database, session: Any
) -> None:
    org = people.find_organisation(session, "Verein Beispiel 25")
    with unit("alice") as w:
        moved = pipeline.advance(w, campaign, org.id, "invited")
    assert moved.status == "considering"
    assert status_of(db, "Verein Beispiel 25") == "considering"
    assert moved.history[-1][1:] == ("invited", "considering", "alice")
    with db.read_session() as s:
        entries = history(s, organisation_id=org.id)
        assert any(e.entity == "signon" and e.after == {"status": "considering"} for e in entries)
        assert pipeline.pipeline(s, CODE).stage("considering").total == 3

    # Any allowed status, by name.
    with unit() as w:
        pipeline.advance(w, campaign, org.id, "considering", "declined")
    assert status_of(db, "Verein Beispiel 25") == "declined"


def test_a_move_is_refused_when_the_status_changed_meanwhile_or_has_no_next_step(
    campaign: int, unit: Any, db: Database, session: Any
) -> None:
    invited = people.find_organisation(session, "Verein Beispiel 26")
    signed = people.find_organisation(session, "Verein Beispiel 30")
    with pytest.raises(CoalitionError, match="is now invited"), unit() as w:
        pipeline.advance(w, campaign, invited.id, "prospect")
    assert status_of(db, "Verein Beispiel 26") == "invited"
    with pytest.raises(CoalitionError, match="no usual next step; it can move to w"), unit() as w:
        pipeline.advance(w, campaign, signed.id, "signed")
    with pytest.raises(InvalidTransition, match="from signed it can move to with"), unit() as w:
        pipeline.advance(w, campaign, signed.id, "signed", "prospect")
    assert status_of(db, "Verein Beispiel 30") == "signed"


def test_signons_per_day_include_the_empty_days_and_regroup_by_week(
    campaign: int, unit: Any, session: Any
) -> None:
    today = utcnow().date()
    with unit() as w:
        # Two sign-ons eight days ago, one three days ago, one today.
        ids = list(
            w.session.scalars(
                select(SignOnEvent.id)
                .where(SignOnEvent.to_status == "signed")
                .order_by(SignOnEvent.id)
            )
        )
        for event_id, back in zip(ids, (8, 8, 3, 0), strict=True):
            at = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(12))
            w.session.execute(update(SignOnEvent).where(SignOnEvent.id == event_id).values(at=at))
    days = pipeline.signons_over_time(session, campaign, today=today)
    assert days[0].start == today - dt.timedelta(days=8)
    assert days[-1].start == today
    assert [p.signed for p in days] == [2, 0, 0, 0, 0, 1, 0, 0, 1]
    assert sum(p.signed for p in pipeline.regroup(days, "week")) == 4
    weeks = pipeline.regroup(days, "week")
    assert all(p.start.weekday() == 0 for p in weeks)
    assert len(pipeline.regroup(days, "month")) in (1, 2)


def test_spans_end_on_the_last_day_so_the_newest_bar_is_whole() -> None:
    start = dt.date(2026, 3, 1)
    days = [pipeline.Period(start + dt.timedelta(days=i), n) for i, n in enumerate(range(1, 8))]
    three = pipeline.spans(days, 3)
    assert [(p.start.day, p.signed) for p in three] == [(1, 1), (2, 2 + 3 + 4), (5, 5 + 6 + 7)]
    assert pipeline.spans(days, 1) == days
    assert [p.signed for p in pipeline.spans(days, 7)] == [28]
    assert pipeline.spans([], 3) == []


def test_a_campaign_opened_before_its_first_sign_on_starts_its_chart_there(
    unit: Any, session: Any
) -> None:
    today = dt.date(2026, 3, 10)
    with unit() as w:
        view = campaigns.add_campaign(w, "early", opened_on="2026-03-01")
    days = pipeline.signons_over_time(session, view.id, today=today)
    assert len(days) == 10 and not any(p.signed for p in days)


def test_no_answer_lists_who_was_invited_and_heard_nothing_for_n_days(
    campaign: int, unit: Any, session: Any
) -> None:
    later = utcnow() + dt.timedelta(days=20)  # every status was set 20 days before "later"
    with unit() as w:
        campaigns.add_campaign(w, "other-2026")
        # 25: invited, then a call about this campaign three days ago: not quiet.
        outreach.log_interaction(
            w,
            organisation="Verein Beispiel 25",
            channel="call",
            campaign=CODE,
            occurred_at=later - dt.timedelta(days=3),
        )
        # 26: an email about another campaign does not answer this one.
        outreach.log_interaction(
            w,
            organisation="Verein Beispiel 26",
            campaign="other-2026",
            occurred_at=later - dt.timedelta(days=2),
        )
        # 28 (considering): a note about no campaign in particular, 16 days ago.
        outreach.log_interaction(
            w, organisation="Verein Beispiel 28", occurred_at=later - dt.timedelta(days=16)
        )
    quiet = pipeline.no_answer(session, campaign, 14, now=later)
    names = [r.name for r in quiet]
    # Invited and considering only; the longest quiet first.
    assert names == [
        "Verein Beispiel 26",
        "Verein Beispiel 27",
        "Verein Beispiel 29",
        "Verein Beispiel 28",
    ]
    assert pipeline.count_no_answer(session, campaign, 14, now=later) == 4
    first = quiet[0]
    assert first.status == "invited" and first.days == 20 and first.last_contact is None
    last = quiet[-1]
    assert last.days == 16 and last.last_contact is not None
    # N is adjustable: at 18 days the one heard from 16 days ago is not yet due.
    assert pipeline.count_no_answer(session, campaign, 18, now=later) == 3
    assert pipeline.count_no_answer(session, campaign, 30, now=later) == 0
    # Nobody is quiet right after being invited.
    assert pipeline.count_no_answer(session, campaign, 14) == 0
    seen = pipeline.pipeline(session, CODE, quiet_days=14, now=later)
    assert seen.quiet.total == 4 and seen.quiet.days == 14


def test_a_move_restarts_the_quiet_clock(campaign: int, unit: Any, db: Database) -> None:
    with unit() as w:  # everything happened a month ago
        month_ago = utcnow() - dt.timedelta(days=30)
        w.session.execute(update(SignOnEvent).values(at=month_ago))
        w.session.execute(update(SignOn).values(created_at=month_ago))
    with db.read_session() as s:
        assert pipeline.count_no_answer(s, campaign, 14) == 5
        org = people.find_organisation(s, "Verein Beispiel 25")
    with unit() as w:
        pipeline.advance(w, campaign, org.id, "invited")  # to considering, now
    with db.read_session() as s:
        assert [r.name for r in pipeline.no_answer(s, campaign, 14)] == [
            "Verein Beispiel 26",
            "Verein Beispiel 27",
            "Verein Beispiel 28",
            "Verein Beispiel 29",
        ]


def test_campaign_choices_put_open_campaigns_first(unit: Any, session: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "closed-one", state="closed")
        campaigns.add_campaign(w, "open-one", state="open")
        campaigns.add_campaign(w, "draft-one")
        campaigns.add_campaign(w, "open-two", state="open")
    codes = [c.code for c in pipeline.campaign_choices(session)]
    assert codes == ["open-two", "open-one", "draft-one", "closed-one"]


def test_an_unknown_campaign_says_which_exist(campaign: int, session: Any) -> None:
    with pytest.raises(CoalitionError, match="Known campaigns: climate-2026"):
        pipeline.pipeline(session, "nope")


def test_a_sign_on_counts_once_in_the_chart_after_a_withdrawal_or_a_merge(
    campaign: int, unit: Any, db: Database
) -> None:
    from coalition.domain import merge

    with db.read_session() as s:
        before = sum(p.signed for p in pipeline.signons_over_time(s, campaign))
    with unit() as w:
        campaigns.set_signon(w, "Verein Beispiel 30", CODE, "withdrawn")
        campaigns.set_signon(w, "Verein Beispiel 30", CODE, "considering")
        campaigns.set_signon(w, "Verein Beispiel 30", CODE, "signed")
        # Two records of one organisation that had both signed become one sign-on.
        merge.merge_organisations(w, "Verein Beispiel 31", "Verein Beispiel 32")
    with db.read_session() as s:
        assert sum(p.signed for p in pipeline.signons_over_time(s, campaign)) == before - 1
        merged = next(
            v for v in pipeline.list_signons(s, CODE) if v.organisation == "Verein Beispiel 31"
        )
    assert merged.status == "signed"
    assert [h[0] for h in merged.history] == sorted(h[0] for h in merged.history)
