"""Campaigns and the sign-on pipeline."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from coalition.domain import campaigns, people
from coalition.errors import CoalitionError, InvalidTransition, InvalidValue, NotFound
from coalition.store.models import SignOnEvent


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
        assert campaigns.list_signons(s, "csam-2022")[0].status == path[-1]


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
        view = campaigns.list_signons(s, "csam-2022")[0]
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
            x.organisation for x in campaigns.list_signons(s, "csam-2022", statuses=["signed"])
        ] == ["Alpha", "Beta"]


def test_campaign_validation(unit: Any) -> None:
    with unit() as w, pytest.raises(InvalidValue, match="campaign code"):
        campaigns.add_campaign(w, "bad code!")
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
