"""Campaigns and the sign-on pipeline."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, func, select

from coalition.domain import audit, campaigns, people, pipeline
from coalition.errors import CoalitionError, InvalidTransition, InvalidValue, NotFound
from coalition.store.models import AuditEntry, Organisation, SignOnEvent


@pytest.fixture
def setup(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Minors Care Example", acronym="MCE", country="BE")
        people.add_contact(
            w,
            given_name="Émilie",
            family_name="Müller",
            emails=["emilie@example.org"],
            organisation="MCE",
        )
        campaigns.add_campaign(
            w, "csam-2022", name="Joint statement", target=100, deadline="2026-12-31"
        )


def walk(unit: Any, *statuses: str) -> campaigns.SignOnView:
    view = None
    for status in statuses:
        with unit() as w:
            view = campaigns.set_signon(w, "MCE", "csam-2022", status)
    assert view is not None
    return view


LEGAL = [
    ("prospect", "invited"),
    ("prospect", "invited", "considering", "signed"),
    ("prospect", "invited", "considering", "declined"),
    ("invited", "signed"),
    ("invited", "declined"),
    ("prospect", "considering"),
    ("invited", "signed", "withdrawn"),
    ("invited", "declined", "considering", "signed"),
    ("invited", "signed", "withdrawn", "considering"),
    ("signed",),
]


@pytest.mark.parametrize("path", LEGAL, ids=["→".join(p) for p in LEGAL])
def test_legal_moves(setup: None, unit: Any, path: tuple[str, ...]) -> None:
    assert walk(unit, *path).status == path[-1]


REFUSED = [
    (("invited",), "prospect"),
    (("considering",), "invited"),
    (("signed",), "declined"),
    (("signed",), "considering"),
    (("signed",), "invited"),
    (("declined",), "signed"),
    (("declined",), "withdrawn"),
    (("invited", "signed", "withdrawn"), "signed"),
    (("prospect",), "withdrawn"),
]


@pytest.mark.parametrize(("path", "bad"), REFUSED, ids=[f"{p[-1]}→{b}" for p, b in REFUSED])
def test_refused_moves_say_why_and_change_nothing(
    setup: None, unit: Any, db: Any, path: tuple[str, ...], bad: str
) -> None:
    walk(unit, *path)
    with pytest.raises(
        InvalidTransition, match=f"Cannot move Minors Care Example from {path[-1]} to {bad}"
    ):
        walk(unit, bad)
    with db.read_session() as s:
        assert pipeline.list_signons(s, "csam-2022")[0].status == path[-1]


def test_a_first_signon_cannot_be_withdrawn(setup: None, unit: Any) -> None:
    with unit() as w, pytest.raises(InvalidTransition, match="cannot withdraw"):
        campaigns.set_signon(w, "MCE", "csam-2022", "withdrawn")


def test_every_status_change_is_kept_with_date_and_coordinator(
    setup: None, unit: Any, db: Any
) -> None:
    with unit("alice") as w:
        campaigns.set_signon(w, "MCE", "csam-2022", "invited")
    with unit("bob") as w:
        campaigns.set_signon(
            w,
            "MCE",
            "csam-2022",
            "signed",
            signed_by="emilie@example.org",
            display_name="Minors Care Example (MCE)",
            public=False,
        )
        campaigns.set_signon(w, "MCE", "csam-2022", "signed", notes="confirmed by email")
    with db.read_session() as s:
        events = list(s.scalars(select(SignOnEvent).order_by(SignOnEvent.id)))
        view = pipeline.list_signons(s, "csam-2022")[0]
    assert [(e.from_status, e.to_status, e.coordinator) for e in events] == [
        (None, "invited", "alice"),
        ("invited", "signed", "bob"),
    ]
    assert view.signed_by == "Émilie Müller"
    assert view.display_name == "Minors Care Example (MCE)"
    assert view.public is False
    assert view.notes == "confirmed by email"
    assert [h[2] for h in view.history] == ["invited", "signed"]


def test_display_name_defaults_to_the_organisation_name(setup: None, unit: Any) -> None:
    assert walk(unit, "signed").display_name == "Minors Care Example"


def test_campaign_counts_per_status(setup: None, unit: Any, db: Any) -> None:
    with unit() as w:
        for name in ("Alpha", "Beta", "Gamma"):
            people.add_organisation(w, name=name)
        campaigns.set_signon(w, "Alpha", "csam-2022", "signed")
        campaigns.set_signon(w, "Beta", "csam-2022", "signed")
        campaigns.set_signon(w, "Gamma", "csam-2022", "invited")
    with db.read_session() as s:
        view = campaigns.get_campaign(s, "CSAM-2022")
        assert view.counts["signed"] == 2 and view.counts["invited"] == 1
        assert view.counts["withdrawn"] == 0
        assert [
            x.organisation for x in pipeline.list_signons(s, "csam-2022", statuses=["signed"])
        ] == ["Alpha", "Beta"]


def test_campaign_validation(unit: Any) -> None:
    with unit() as w, pytest.raises(InvalidValue, match="'bad code!' cannot be a campaign code"):
        campaigns.add_campaign(w, "  bad code! ")
    with unit() as w, pytest.raises(InvalidValue, match="needs a code, such as csam-2022"):
        campaigns.add_campaign(w, "  ")
    assert campaigns.campaign_code(" CSAM-2022 ") == "csam-2022"  # as the form shows it kept
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
    with unit() as w, pytest.raises(CoalitionError, match="already exists"):
        campaigns.add_campaign(w, "CSAM-2022")
    with unit() as w, pytest.raises(InvalidValue, match="deadline is before"):
        campaigns.add_campaign(w, "x", opened_on="2026-05-01", deadline="2026-04-01")
    with unit() as w:
        people.add_organisation(w, name="Alpha")
    with unit() as w, pytest.raises(NotFound, match="Known campaigns: csam-2022"):
        campaigns.set_signon(w, "Alpha", "nope", "invited")


def test_allowed_moves_listing() -> None:
    assert campaigns.allowed_moves("signed") == ["withdrawn"]
    assert campaigns.allowed_moves("invited") == ["considering", "signed", "declined"]
    assert "withdrawn" not in campaigns.allowed_moves(None)


# --- many organisations at once (set_signons) ------------------------------------------------


def _org_ids(session: Any, *names: str) -> list[int]:
    return [people.find_organisation(session, name).id for name in names]


def _statuses(db: Any, code: str = "csam-2022") -> dict[str, str]:
    with db.read_session() as s:
        return {v.organisation: v.status for v in pipeline.list_signons(s, code)}


@pytest.fixture
def five(setup: None, unit: Any, db: Any) -> list[int]:
    """MCE signed, Alpha prospect, Beta invited; Gamma and Delta not in csam-2022."""
    with unit("alice") as w:
        for name in ("Alpha", "Beta", "Gamma", "Delta"):
            people.add_organisation(w, name=name)
        campaigns.set_signon(w, "MCE", "csam-2022", "signed")
        campaigns.set_signon(w, "Alpha", "csam-2022", "prospect")
        campaigns.set_signon(w, "Beta", "csam-2022", "invited")
    with db.read_session() as s:
        return _org_ids(s, "Minors Care Example", "Alpha", "Beta", "Gamma", "Delta")


def test_set_signons_adds_the_new_and_leaves_those_already_in(
    five: list[int], unit: Any, db: Any
) -> None:
    with unit("bob") as w:
        done = campaigns.set_signons(w, five, "csam-2022", "invited")
    assert (done.added, done.moved) == (2, {})
    assert done.left == {"prospect": 1, "invited": 1, "signed": 1}
    assert done.total == 5
    assert _statuses(db) == {
        "Minors Care Example": "signed",
        "Alpha": "prospect",
        "Beta": "invited",
        "Gamma": "invited",
        "Delta": "invited",
    }
    assert done.sentence() == (
        "Added 2 organisations to csam-2022 as invited. "
        "Left 3 organisations as they were (1 prospect, 1 invited, 1 signed)."
    )
    with db.read_session() as s:
        gamma = next(v for v in pipeline.list_signons(s, "csam-2022") if v.organisation == "Gamma")
    assert gamma.history == [(gamma.history[0][0], None, "invited", "bob")]
    assert gamma.public and gamma.display_name == "Gamma"


def test_set_signons_moves_those_already_in_only_when_asked_and_allowed(
    five: list[int], unit: Any, db: Any
) -> None:
    with unit() as w:
        done = campaigns.set_signons(w, five, "csam-2022", "considering", move_existing=True)
    # Signed cannot go back to considering: left, and said so.
    assert (done.added, done.moved, done.left) == (2, {"prospect": 1, "invited": 1}, {"signed": 1})
    assert _statuses(db) == {
        "Minors Care Example": "signed",
        "Alpha": "considering",
        "Beta": "considering",
        "Gamma": "considering",
        "Delta": "considering",
    }
    assert "Moved 2 organisations to considering (1 prospect, 1 invited)." in done.sentence()
    assert done.sentence().endswith("Left 1 organisation as it was (1 signed).")
    with db.read_session() as s:
        events = list(
            s.execute(
                select(SignOnEvent.from_status, SignOnEvent.to_status)
                .where(SignOnEvent.to_status == "considering")
                .order_by(SignOnEvent.id)
            )
        )
    assert Counter(tuple(e) for e in events) == {
        ("prospect", "considering"): 1,
        ("invited", "considering"): 1,
        (None, "considering"): 2,
    }


def test_set_signons_writes_an_audit_entry_per_change(five: list[int], unit: Any, db: Any) -> None:
    with db.read_session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with unit("carol") as w:
        campaigns.set_signons(w, five, "csam-2022", "signed", move_existing=True)
    with db.read_session() as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id))
        )[before:]
        gamma = people.find_organisation(s, "Gamma").id
        alpha = people.find_organisation(s, "Alpha").id
    # Gamma and Delta created, Alpha and Beta moved; MCE was signed already.
    assert len(entries) == 4
    assert {e.coordinator for e in entries} == {"carol"}
    by_org = {e.organisation_id: e for e in entries}
    assert by_org[gamma].action == "create" and by_org[gamma].label == "Gamma / csam-2022"
    assert by_org[gamma].after["status"] == "signed" and by_org[gamma].before is None
    assert by_org[alpha].action == "update"
    assert (by_org[alpha].before, by_org[alpha].after) == (
        {"status": "prospect"},
        {"status": "signed"},
    )
    with db.read_session() as s:
        history = [(h.action, h.after) for h in audit.history(s, organisation_id=alpha, limit=1)]
    assert history == [("update", {"status": "signed"})]


@pytest.mark.parametrize(
    ("campaign", "status", "error", "message"),
    [
        ("csam-2022", "maybe", InvalidValue, "sign-on status"),
        ("csam-2022", "", InvalidValue, "Give a sign-on status"),
        ("nope", "invited", NotFound, "There is no campaign 'nope'"),
        ("csam-2022", "withdrawn", InvalidTransition, "2 organisations have no sign-on"),
    ],
)
def test_set_signons_is_all_or_nothing(
    five: list[int], unit: Any, db: Any, campaign: str, status: str, error: Any, message: str
) -> None:
    before = _statuses(db)
    with db.read_session() as s:
        audit_rows = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(error, match=message), unit() as w:
        campaigns.set_signons(w, five, campaign, status, move_existing=True)
    assert _statuses(db) == before
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


def test_set_signons_refuses_an_organisation_deleted_meanwhile(
    five: list[int], unit: Any, db: Any
) -> None:
    before = _statuses(db)
    with unit() as w:
        people.delete_organisation(w, "Delta")
    with pytest.raises(NotFound, match="1 organisation of the 5 no longer exists"), unit() as w:
        campaigns.set_signons(w, five, "csam-2022", "invited")
    assert _statuses(db) == before
    with unit() as w, pytest.raises(InvalidValue, match="no organisations to add"):
        campaigns.set_signons(w, [], "csam-2022", "invited")


def test_plan_signons_says_what_set_signons_would_do(five: list[int], db: Any) -> None:
    with db.read_session() as s:
        plan = campaigns.plan_signons(s, five + five, "csam-2022", "invited", move_existing=True)
    assert (plan.added, plan.moved, plan.left) == (2, {"prospect": 1}, {"invited": 1, "signed": 1})
    assert _statuses(db)["Alpha"] == "prospect"  # nothing written


def test_a_thousand_organisations_go_in_one_call_with_few_statements(
    setup: None, unit: Any, db: Any
) -> None:
    with unit() as w:
        for i in range(1000):
            people.add_organisation(w, name=f"Verein Beispiel {i:04d}", country="BE")
    with db.read_session() as s:
        ids = list(
            s.scalars(select(Organisation.id).where(Organisation.name.like("Verein Beispiel%")))
        )
    with unit() as w:
        campaigns.set_signon(w, f"#{ids[0]}", "csam-2022", "prospect")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        with unit() as w:
            done = campaigns.set_signons(w, ids, "csam-2022", "invited", move_existing=True)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert (done.added, done.moved, done.left) == (999, {"prospect": 1}, {})
    assert len(statements) < 25, statements  # not a statement or more per organisation
    assert elapsed < 5  # ~0.05 s; generous for a busy machine
    with db.read_session() as s:
        view = campaigns.get_campaign(s, "csam-2022")
        assert view.counts["invited"] == 1000
        assert s.scalar(select(func.count()).select_from(SignOnEvent)) == 1001


# --- a final status ends the chasing ---------------------------------------------------------


def _open_followups(db: Any) -> list[tuple[str | None, str | None]]:
    from coalition.domain import outreach

    with db.read_session() as s:
        return sorted((f.organisation, f.subject) for f in outreach.list_followups(s))


@pytest.fixture
def reminders(setup: None, unit: Any) -> None:
    """Open follow-ups with MCE about csam-2022, about another campaign and about none, and
    with Alpha about csam-2022; MCE and Alpha invited to csam-2022."""
    from coalition.domain import outreach

    with unit() as w:
        people.add_organisation(w, name="Alpha")
        campaigns.add_campaign(w, "climate-2026")
        for org, subject, campaign in (
            ("MCE", "Invitation to sign", "csam-2022"),
            ("MCE", "Climate letter", "climate-2026"),
            ("MCE", "Annual meeting", None),
            ("Alpha", "Invitation to sign", "csam-2022"),
        ):
            outreach.log_interaction(
                w,
                organisation=org,
                subject=subject,
                campaign=campaign,
                follow_up_on="2026-12-01",
                close_followups=False,
            )
        campaigns.set_signons(w, _org_ids(w.session, "MCE", "Alpha"), "csam-2022", "invited")


@pytest.mark.parametrize("path", [("signed",), ("declined",), ("considering", "declined")])
def test_a_final_status_closes_the_campaigns_followups_with_that_organisation(
    reminders: None, unit: Any, db: Any, path: tuple[str, ...]
) -> None:
    for status in path:
        with unit() as w:
            done = campaigns.change_signon(w, "MCE", "csam-2022", status)
    assert [f.subject for f in done.closed_followups.followups] == ["Invitation to sign"]
    closed = done.closed_followups.followups[0].id
    assert done.sentence() == (
        f"Minors Care Example is {path[-1]} for csam-2022. "
        f"Closed follow-up #{closed} (Invitation to sign)."
    )
    assert _open_followups(db) == [
        ("Alpha", "Invitation to sign"),
        ("Minors Care Example", "Annual meeting"),
        ("Minors Care Example", "Climate letter"),
    ]


def test_withdrawing_closes_the_followups_logged_since_signing(
    reminders: None, unit: Any, db: Any
) -> None:
    from coalition.domain import outreach

    with unit() as w:
        campaigns.set_signon(w, "MCE", "csam-2022", "signed")
        outreach.log_interaction(
            w,
            organisation="MCE",
            subject="Ask about their withdrawal",
            campaign="csam-2022",
            follow_up_on="2026-12-05",
        )
        done = campaigns.change_signon(w, "MCE", "csam-2022", "withdrawn")
    assert [f.subject for f in done.closed_followups.followups] == ["Ask about their withdrawal"]


def test_a_status_that_is_not_final_leaves_the_followups_open(
    reminders: None, unit: Any, db: Any
) -> None:
    before = _open_followups(db)
    with unit() as w:
        done = campaigns.change_signon(w, "MCE", "csam-2022", "considering")
        again = campaigns.change_signon(w, "MCE", "csam-2022", "considering", notes="Board")
    assert not done.closed_followups and not again.closed_followups
    assert done.sentence() == "Minors Care Example is considering for csam-2022."
    assert _open_followups(db) == before


def test_many_signing_at_once_close_their_followups(reminders: None, unit: Any, db: Any) -> None:
    with unit() as w:
        ids = _org_ids(w.session, "MCE", "Alpha")
        done = campaigns.set_signons(w, ids, "csam-2022", "signed", move_existing=True)
    assert done.closed_followups == 2
    assert done.sentence().endswith("Closed 2 follow-ups about csam-2022.")
    assert _open_followups(db) == [
        ("Minors Care Example", "Annual meeting"),
        ("Minors Care Example", "Climate letter"),
    ]


def test_signon_set_says_which_followups_it_closed(run: Any) -> None:
    import shlex

    from tests.conftest import ok

    def do(line: str) -> Any:
        return ok(run(*shlex.split(line)))

    do('org add "Minors Care Example" --acronym MCE')
    do("campaign add csam-2022")
    do("signon set MCE csam-2022 invited")
    do('log --org MCE --subject "Invitation to sign" --campaign csam-2022 --follow-up +7d')
    assert do("signon set MCE csam-2022 signed").stderr.strip() == (
        "Minors Care Example is signed for csam-2022. Closed follow-up #1 (Invitation to sign)."
    )
    assert "No open follow-ups." in do("followups").stderr
