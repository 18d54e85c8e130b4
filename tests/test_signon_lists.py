"""`coalition signon list`: who is not in a campaign yet, and whom to chase."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from typing import Any

import pytest

from coalition.domain import campaigns, outreach, people, pipeline
from coalition.errors import InvalidValue
from coalition.store.models import utcnow
from tests.conftest import fails, ok


@pytest.fixture
def members(unit: Any) -> None:
    """Five organisations; in csam-2022 Alpha signed, Beta and Gamma invited, Delta
    considering; Epsilon not in it."""
    with unit() as w:
        for name, country in (
            ("Alpha Example", "BE"),
            ("Beta Example", "FR"),
            ("Gamma Example", "PL"),
            ("Delta Example", "DE"),
            ("Epsilon Example", "NL"),
        ):
            people.add_organisation(w, name=name, country=country)
        campaigns.add_campaign(w, "csam-2022")
        campaigns.add_campaign(w, "climate-2026")
        for name, status in (
            ("Alpha Example", "signed"),
            ("Beta Example", "invited"),
            ("Gamma Example", "invited"),
            ("Delta Example", "considering"),
        ):
            campaigns.set_signon(w, name, "csam-2022", status)


def listed(run: Any, line: str) -> list[dict[str, Any]]:
    """The JSON rows of a listing typed as on the command line."""
    rows: list[dict[str, Any]] = json.loads(ok(run(*shlex.split(line), "--format", "json")).stdout)
    return rows


def test_status_none_lists_the_organisations_not_in_the_campaign_yet(
    members: None, run: Any
) -> None:
    rows = listed(run, "signon list csam-2022 --status none")
    assert [(r["organisation"], r["country"], r["status"]) for r in rows] == [
        ("Epsilon Example", "NL", "none")
    ]
    # The shape of every sign-on line, with nothing held.
    assert rows[0]["id"] is None and rows[0]["status_since"] is None and rows[0]["history"] == []
    assert set(rows[0]) == set(listed(run, "signon list csam-2022")[0])
    # With other statuses: those too, by name, as `org list --campaign … --status …` has them.
    mixed = listed(run, "signon list csam-2022 --status none,signed")
    assert [(r["organisation"], r["status"]) for r in mixed] == [
        ("Alpha Example", "signed"),
        ("Epsilon Example", "none"),
    ]
    orgs = listed(run, "org list --campaign csam-2022 --status none,signed")
    assert [o["name"] for o in orgs] == [r["organisation"] for r in mixed]
    # A campaign nobody is in yet: everyone.
    assert len(listed(run, "signon list climate-2026 --status none")) == 5


def test_quiet_for_lists_whom_to_chase(members: None, unit: Any, db: Any) -> None:
    later = utcnow() + dt.timedelta(days=20)
    with unit() as w:
        # Beta answered about the campaign; Gamma only about another one.
        outreach.log_interaction(
            w,
            organisation="Beta Example",
            subject="Reply",
            campaign="csam-2022",
            occurred_at=later - dt.timedelta(days=3),
        )
        outreach.log_interaction(
            w,
            organisation="Gamma Example",
            subject="Climate",
            campaign="climate-2026",
            occurred_at=later - dt.timedelta(days=3),
        )
    with db.read_session() as s:

        def quiet(length: str, *statuses: str) -> list[str]:
            found = pipeline.list_signons(
                s, "csam-2022", statuses=statuses, quiet_for=length, now=later
            )
            return [v.organisation for v in found]

        assert quiet("14d") == ["Delta Example", "Gamma Example"]
        assert quiet("2w", "invited") == ["Gamma Example"]
        assert quiet("+14") == quiet("14") == quiet("2w") == quiet("14d")
        assert quiet("21d") == []  # invited 20 days ago: not quiet for 21
        assert quiet("2d") == ["Beta Example", "Delta Example", "Gamma Example"]
        with pytest.raises(InvalidValue, match="those signed cannot be quiet"):
            quiet("14d", "signed")
        with pytest.raises(InvalidValue, match="'soon' is not a length of time"):
            quiet("soon")


def test_quiet_for_from_the_command_line(members: None, run: Any) -> None:
    rows = listed(run, "signon list csam-2022 --quiet-for 0")
    assert [(r["organisation"], r["status"]) for r in rows] == [
        ("Beta Example", "invited"),
        ("Delta Example", "considering"),
        ("Gamma Example", "invited"),
    ]
    nobody = ok(run("signon", "list", "csam-2022", "--quiet-for", "14d"))
    assert "No one in csam-2022 has been quiet for 14d." in nobody.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "--status", "none"), "There is no campaign 'nope'"),
        (("csam-2022", "--status", "maybe"), "'maybe' is not a sign-on status"),
        (("csam-2022", "--quiet-for", "fortnight"), "'fortnight' is not a length of time"),
        (
            ("csam-2022", "--quiet-for", "14d", "--status", "none"),
            "those not in it yet cannot be quiet",
        ),
    ],
)
def test_signon_list_refuses_what_it_cannot_list(
    members: None, run: Any, args: tuple[str, ...], message: str
) -> None:
    said = fails(run("signon", "list", *args))
    assert message in said and len(said.splitlines()) == 1
