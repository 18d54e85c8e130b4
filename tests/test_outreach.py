"""Interactions and follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coalition.domain import campaigns, outreach, people
from coalition.errors import InvalidValue


@pytest.fixture
def setup(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Minors Care Example", acronym="MCE")
        people.add_organisation(w, name="Fundacja Przykład")
        people.add_contact(
            w,
            given_name="Émilie",
            family_name="Müller",
            emails=["emilie@example.org"],
            organisation="MCE",
        )
        people.add_contact(w, given_name="Solo", family_name="Person", emails=["solo@example.net"])
        campaigns.add_campaign(w, "csam-2022")


def test_logging_with_a_contact_fills_in_their_organisation(setup: None, unit: Any) -> None:
    with unit() as w:
        result = outreach.log_interaction(
            w,
            contact="emilie@example.org",
            channel="call",
            direction="in",
            subject="Question",
            campaign="csam-2022",
            follow_up_on="2026-12-01",
        )
    i = result.interaction
    assert (i.contact, i.organisation, i.channel, i.direction, i.campaign) == (
        "Émilie Müller",
        "Minors Care Example",
        "call",
        "in",
        "csam-2022",
    )
    assert i.follow_up_on == dt.date(2026, 12, 1)
    assert i.coordinator == "tester"


def test_logging_closes_earlier_open_followups_of_the_organisation(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        outreach.log_interaction(w, organisation="MCE", subject="Invite", follow_up_on="2026-12-01")
        outreach.log_interaction(
            w, organisation="Fundacja Przykład", subject="Invite", follow_up_on="2026-12-02"
        )
    with db.read_session() as s:
        assert len(outreach.list_followups(s)) == 2
    with unit() as w:
        result = outreach.log_interaction(
            w, contact="Émilie Müller", channel="call", subject="Reply"
        )
    assert [(f.subject, f.organisation) for f in result.closed_followups.followups] == [
        ("Invite", "Minors Care Example")
    ]
    with db.read_session() as s:
        assert [f.organisation for f in outreach.list_followups(s)] == ["Fundacja Przykład"]


def test_followups_can_be_kept_open(setup: None, unit: Any, db: Any) -> None:
    with unit() as w:
        outreach.log_interaction(w, organisation="MCE", follow_up_on="2026-12-01")
        result = outreach.log_interaction(w, organisation="MCE", close_followups=False)
    assert not result.closed_followups
    with db.read_session() as s:
        assert len(outreach.list_followups(s)) == 1


def test_a_backdated_interaction_does_not_close_later_followups(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        outreach.log_interaction(w, organisation="MCE", follow_up_on="2026-12-01")
        result = outreach.log_interaction(
            w, organisation="MCE", occurred_at=dt.datetime(2020, 1, 1), subject="Old meeting"
        )
    assert not result.closed_followups


def test_person_without_organisation_has_their_own_followups(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        outreach.log_interaction(w, contact="solo@example.net", follow_up_on="2026-12-01")
        outreach.log_interaction(w, organisation="MCE", follow_up_on="2026-12-01")
        result = outreach.log_interaction(w, contact="solo@example.net")
    assert [f.contact for f in result.closed_followups.followups] == ["Solo Person"]


def test_followups_oldest_first_and_due_before(setup: None, unit: Any, db: Any) -> None:
    with unit() as w:
        outreach.log_interaction(
            w, organisation="MCE", follow_up_on="2026-12-10", close_followups=False
        )
        outreach.log_interaction(
            w, organisation="Fundacja Przykład", follow_up_on="2026-12-01", close_followups=False
        )
        outreach.log_interaction(
            w, contact="solo@example.net", follow_up_on="2026-12-05", close_followups=False
        )
    with db.read_session() as s:
        due = [f.follow_up_on.isoformat() for f in outreach.list_followups(s)]
        assert due == ["2026-12-01", "2026-12-05", "2026-12-10"]
        soon = outreach.list_followups(s, due_before="2026-12-06")
        assert [f.follow_up_on.isoformat() for f in soon] == ["2026-12-01", "2026-12-05"]


def test_completing_a_followup(setup: None, unit: Any, db: Any) -> None:
    with unit() as w:
        i = outreach.log_interaction(w, organisation="MCE", follow_up_on="2026-12-01").interaction
        outreach.complete_followup(w, i.id)
    with db.read_session() as s:
        assert outreach.list_followups(s) == []


def test_postponing_a_followup_moves_it_and_is_in_the_history(
    setup: None, unit: Any, db: Any
) -> None:
    from coalition.domain import audit

    today = dt.date(2026, 12, 2)  # a Wednesday
    with unit() as w:
        i = outreach.log_interaction(w, organisation="MCE", follow_up_on="2026-12-01").interaction
        moved = outreach.postpone_followup(w, i.id, "+7", today=today)
    assert moved.follow_up_on == dt.date(2026, 12, 9) and not moved.done
    with unit() as w:
        assert outreach.postpone_followup(w, i.id, "next week", today=today).follow_up_on == (
            dt.date(2026, 12, 7)
        )
    with unit() as w:  # to the day it already has: nothing recorded
        outreach.postpone_followup(w, i.id, "2026-12-07", today=today)
    with db.read_session() as s:
        assert [f.follow_up_on for f in outreach.list_followups(s)] == [dt.date(2026, 12, 7)]
        changes = [e for e in audit.history(s, limit=10) if e.entity == "interaction"]
        assert [e.action for e in changes] == ["update", "update", "create"]
    # Refused: a day gone by, no day, a follow-up already done; nothing changes.
    with unit() as w, pytest.raises(InvalidValue, match="2026-12-01 has passed"):
        outreach.postpone_followup(w, i.id, "2026-12-01", today=today)
    with unit() as w, pytest.raises(InvalidValue, match="Say when to follow up"):
        outreach.postpone_followup(w, i.id, "  ", today=today)
    with unit() as w:
        outreach.complete_followup(w, i.id)
    with unit() as w, pytest.raises(InvalidValue, match="no open follow-up"):
        outreach.postpone_followup(w, i.id, "+7", today=today)


def test_interaction_needs_a_party_and_a_known_channel(setup: None, unit: Any) -> None:
    with unit() as w, pytest.raises(InvalidValue, match="whom"):
        outreach.log_interaction(w, subject="Nobody")
    with unit() as w, pytest.raises(InvalidValue, match="not a channel"):
        outreach.log_interaction(w, organisation="MCE", channel="pigeon")


def test_timeline_newest_first(setup: None, unit: Any, db: Any) -> None:
    with unit() as w:
        outreach.log_interaction(
            w, organisation="MCE", subject="first", occurred_at=dt.datetime(2026, 1, 1)
        )
        outreach.log_interaction(
            w, organisation="MCE", subject="second", occurred_at=dt.datetime(2026, 2, 1)
        )
    with db.read_session() as s:
        org = people.get_organisation(s, "MCE")
        assert [i.subject for i in outreach.interactions_of(s, organisation_id=org.id)] == [
            "second",
            "first",
        ]


def test_what_was_logged_reads_as_one_sentence(setup: None, unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Dětská Bezpečnost z.s.")
        invite = outreach.log_interaction(
            w, organisation="MCE", subject="Invite", follow_up_on="2026-12-01"
        )
        again = outreach.log_interaction(
            w, organisation="MCE", subject="Again", follow_up_on="2026-12-02", close_followups=False
        )
        ended = outreach.log_interaction(
            w, organisation="Dětská Bezpečnost z.s.", subject="Draft", follow_up_on="2026-12-04"
        )
        closed = outreach.log_interaction(
            w, contact="Émilie Müller", channel="call", subject="Reply"
        )
    assert ended.sentence() == (
        f"Logged email #{ended.interaction.id} with Dětská Bezpečnost z.s. Follow up on 2026-12-04."
    )
    invite, again = (f.interaction.id for f in (invite, again))
    assert closed.sentence() == (
        f"Logged call #{closed.interaction.id} with Émilie Müller / Minors Care Example. "
        f"Closed follow-ups #{invite} (Invite) and #{again} (Again)."
    )


# --- which follow-ups a new interaction closes ------------------------------------------------


def _open(db: Any) -> list[str]:
    with db.read_session() as s:
        return sorted(f.subject or "" for f in outreach.list_followups(s))


def test_a_call_closes_only_the_followups_about_its_campaign_or_none(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "climate-2026")
        for subject, campaign in (
            ("Invitation to sign", "csam-2022"),
            ("Climate letter", "climate-2026"),
            ("Annual meeting", None),
        ):
            outreach.log_interaction(
                w,
                organisation="MCE",
                subject=subject,
                campaign=campaign,
                follow_up_on="2026-12-01",
                close_followups=False,
            )
    # An unrelated call (no campaign) ends only the reminder about no campaign.
    with unit() as w:
        unrelated = outreach.log_interaction(w, contact="Émilie Müller", subject="Hello")
    assert [f.subject for f in unrelated.closed_followups.followups] == ["Annual meeting"]
    assert _open(db) == ["Climate letter", "Invitation to sign"]
    # A call about csam-2022 ends its reminder; the climate letter's stays.
    with unit() as w:
        about = outreach.log_interaction(
            w, contact="Émilie Müller", subject="Reply", campaign="csam-2022"
        )
    assert [f.subject for f in about.closed_followups.followups] == ["Invitation to sign"]
    assert _open(db) == ["Climate letter"]


def test_a_call_about_a_campaign_also_closes_a_reminder_about_none(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        outreach.log_interaction(w, organisation="MCE", subject="Ring", follow_up_on="2026-12-01")
        result = outreach.log_interaction(w, organisation="MCE", campaign="csam-2022")
    assert [f.subject for f in result.closed_followups.followups] == ["Ring"]
    assert _open(db) == []


def test_closing_a_followup_is_in_the_change_log(setup: None, unit: Any, db: Any) -> None:
    from coalition.domain import audit

    with unit() as w:
        invite = outreach.log_interaction(
            w, organisation="MCE", subject="Invite", follow_up_on="2026-12-01"
        ).interaction
    with unit("bob") as w:
        outreach.log_interaction(w, organisation="MCE", subject="Reply")
    with db.read_session() as s:
        org = people.get_organisation(s, "MCE")
        closing = next(
            e
            for e in audit.history(s, organisation_id=org.id)
            if e.action == "update" and e.entity_id == invite.id
        )
    assert (closing.entity, closing.coordinator) == ("interaction", "bob")
    assert (closing.before, closing.after) == ({"done": False}, {"done": True})


def test_the_sentence_names_five_closed_followups_and_counts_the_rest(
    setup: None, unit: Any
) -> None:
    with unit() as w:
        ids = [
            outreach.log_interaction(
                w,
                organisation="MCE",
                subject=f"Reminder {n}",
                follow_up_on=f"2026-12-0{n}",
                close_followups=False,
            ).interaction.id
            for n in range(1, 8)
        ]
        result = outreach.log_interaction(w, organisation="MCE", subject="Reply")
    named = ", ".join(f"#{i} (Reminder {n})" for n, i in enumerate(ids[:5], 1))
    assert result.sentence().endswith(f"Closed follow-ups {named} and 2 more.")


def test_log_says_which_followups_it_closed(run: Any) -> None:
    import shlex

    from tests.conftest import ok

    def do(line: str) -> Any:
        return ok(run(*shlex.split(line)))

    do('org add "Minors Care Example" --acronym MCE')
    do("campaign add csam-2022")
    do("campaign add climate-2026")
    do('log --org MCE --subject "Invitation to sign" --campaign csam-2022 --follow-up +7d')
    do('log --org MCE --subject "Climate letter" --campaign climate-2026 --follow-up +7d')
    assert "Closed" not in do("log --org MCE --campaign csam-2022 --keep-followups").stderr
    said = do("log --org MCE --channel call --campaign csam-2022").stderr
    assert said.strip().endswith("Closed follow-up #1 (Invitation to sign).")
    assert "#2" not in said
